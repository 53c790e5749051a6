/**
 * Opportunistic group commit (issue 18, item 2), for any statement that has a batched form: at most
 * `maxInFlight` statements run at once per key (a database); an input that arrives while they are all
 * busy waits for the next free one and goes with every other that queued meanwhile (up to `maxBatch`),
 * as one statement and one commit. Alone, an input goes at once as its own statement: no added wait
 * when the server is idle. Several in flight rather than one, so that a statement waiting on a lock
 * does not hold every other back.
 */
export interface GroupCommitOptions<K extends object, I, O> {
  readonly maxInFlight: number;
  readonly maxBatch: number;
  /** One input as its own statement. */
  readonly alone: (key: K, input: I) => Promise<O>;
  /**
   * Several inputs as one statement and one commit: an outcome per input, in the order given, an
   * Error failing only its own input. Throws when the statement as a whole failed (its connection,
   * or what only its commit found): then each input goes again alone, so that whatever it was fails
   * only its own. Those retries queue ahead of every other input and take a slot each, like any
   * statement: never more than `maxInFlight` at once.
   */
  readonly together: (key: K, inputs: readonly I[]) => Promise<readonly (O | Error)[]>;
}

interface Waiting<I, O> {
  readonly input: I;
  readonly resolve: (output: O) => void;
  readonly reject: (error: unknown) => void;
}

interface Queue<I, O> {
  inFlight: number;
  readonly waiting: Waiting<I, O>[];
  /** The inputs of batches that failed as a whole, each to go again alone (before anything in `waiting`). */
  readonly retries: Waiting<I, O>[];
}

/** The queue's entry point: each input gets its own outcome, whether it went alone or in a batch. */
export function groupCommit<K extends object, I, O>(
  options: GroupCommitOptions<K, I, O>,
): (key: K, input: I) => Promise<O> {
  const queues = new WeakMap<K, Queue<I, O>>();

  function drain(key: K, queue: Queue<I, O>): void {
    while (queue.inFlight < options.maxInFlight && (queue.retries.length > 0 || queue.waiting.length > 0)) {
      const retry = queue.retries.shift();
      queue.inFlight += 1;
      const sent = retry ? sendAlone(key, retry) : send(key, queue, queue.waiting.splice(0, options.maxBatch));
      void sent.finally(() => {
        queue.inFlight -= 1;
        drain(key, queue);
      });
    }
  }

  async function sendAlone(key: K, waiting: Waiting<I, O>): Promise<void> {
    try {
      waiting.resolve(await options.alone(key, waiting.input));
    } catch (error) {
      waiting.reject(error);
    }
  }

  async function send(key: K, queue: Queue<I, O>, batch: readonly Waiting<I, O>[]): Promise<void> {
    if (batch.length === 1) return sendAlone(key, batch[0]!);
    let outcomes: readonly (O | Error)[];
    try {
      outcomes = await options.together(
        key,
        batch.map((w) => w.input),
      );
      if (outcomes.length !== batch.length) throw new Error(`${outcomes.length} outcomes for ${batch.length} inputs`);
    } catch {
      // Each goes again alone, in a slot of its own when one is free (drain, once this slot is given back).
      queue.retries.push(...batch);
      return;
    }
    batch.forEach((waiting, i) => {
      const outcome = outcomes[i] as O | Error;
      if (outcome instanceof Error) waiting.reject(outcome);
      else waiting.resolve(outcome);
    });
  }

  return (key, input) => {
    let queue = queues.get(key);
    if (!queue) {
      queue = { inFlight: 0, waiting: [], retries: [] };
      queues.set(key, queue);
    }
    const waiting = queue.waiting;
    const promise = new Promise<O>((resolve, reject) => waiting.push({ input, resolve, reject }));
    drain(key, queue);
    return promise;
  };
}
