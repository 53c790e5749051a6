import { describe, expect, it } from 'vitest';
import { groupCommit } from '../../src/shared/group-commit.js';

/** A statement that answers when the test says so: what went, alone or together, in order. */
function fakeStatements(options: { failTogether?: boolean } = {}) {
  const sent: string[][] = [];
  const pending: (() => void)[] = [];
  // Statements sent and not answered yet, and the most there ever were at once.
  const load = { inFlight: 0, most: 0 };
  const answerLater = <T>(value: () => T) => {
    load.inFlight += 1;
    load.most = Math.max(load.most, load.inFlight);
    return new Promise<T>((resolve, reject) =>
      pending.push(() => {
        load.inFlight -= 1;
        try {
          resolve(value());
        } catch (error) {
          reject(error);
        }
      }),
    );
  };
  const commit = groupCommit<object, string, string>({
    maxInFlight: 2,
    maxBatch: 3,
    alone: (_db, input) => {
      sent.push([input]);
      return answerLater(() => {
        if (input.startsWith('bad')) throw new Error(`${input} failed`);
        return `${input} done`;
      });
    },
    together: (_db, inputs) => {
      sent.push([...inputs]);
      return answerLater(() => {
        if (options.failTogether) throw new Error('the statement failed');
        return inputs.map((input) => (input.startsWith('bad') ? new Error(`${input} failed`) : `${input} done`));
      });
    },
  });
  /** Answers every statement sent so far (and, on the next turns, those they let go). */
  const answerAll = async () => {
    while (pending.length > 0) {
      for (const answer of pending.splice(0)) answer();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  /** Answers the statement at this place among those not answered yet (0: the oldest), and what follows from it. */
  const answer = async (place: number) => {
    pending.splice(place, 1)[0]!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { commit, sent, answerAll, answer, load };
}

const settled = (promises: Promise<string>[]) =>
  Promise.allSettled(promises).then((results) =>
    results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
  );

describe('group commit', () => {
  it('sends an input alone at once when a slot is free: no added wait when idle', async () => {
    const { commit, sent, answerAll } = fakeStatements();
    const db = {};
    const answer = commit(db, 'a');
    // sent within the call itself, before any timer or even a microtask could run
    expect(sent).toEqual([['a']]);
    await answerAll();
    expect(await answer).toBe('a done');
  });

  it('sends what arrives while every slot is busy as one batch, each with its own outcome', async () => {
    const { commit, sent, answerAll } = fakeStatements();
    const db = {};
    const answers = settled(['a', 'b', 'c', 'bad-d', 'e', 'f', 'g'].map((input) => commit(db, input)));
    expect(sent).toEqual([['a'], ['b']]);
    await answerAll();
    // two alone, then those that waited, at most three a statement, one failing alone
    expect(sent).toEqual([['a'], ['b'], ['c', 'bad-d', 'e'], ['f', 'g']]);
    expect(await answers).toEqual(['a done', 'b done', 'c done', 'bad-d failed', 'e done', 'f done', 'g done']);
  });

  it('sends each input of a batch again alone when the statement as a whole failed', async () => {
    const { commit, sent, answerAll } = fakeStatements({ failTogether: true });
    const db = {};
    const answers = settled(['a', 'b', 'c', 'bad-d'].map((input) => commit(db, input)));
    await answerAll();
    expect(sent).toEqual([['a'], ['b'], ['c', 'bad-d'], ['c'], ['bad-d']]);
    expect(await answers).toEqual(['a done', 'b done', 'c done', 'bad-d failed']);
  });

  it('sends the inputs of batches that failed as a whole again alone, never more at once than the limit', async () => {
    const { commit, sent, answerAll, load } = fakeStatements({ failTogether: true });
    const db = {};
    const inputs = ['a', 'b', 'c', 'd', 'bad-e', 'f', 'g'];
    const answers = settled(inputs.map((input) => commit(db, input)));
    await answerAll();
    // two alone; then two batches, which both fail; then each of their inputs alone, in order, two at a time
    expect(sent).toEqual([['a'], ['b'], ['c', 'd', 'bad-e'], ['f', 'g'], ['c'], ['d'], ['bad-e'], ['f'], ['g']]);
    expect(load.most).toBe(2);
    expect(await answers).toEqual(['a done', 'b done', 'c done', 'd done', 'bad-e failed', 'f done', 'g done']);
  });

  it('lets the retries of a failed batch go before what arrived after it, one slot each', async () => {
    const { commit, sent, answer, answerAll, load } = fakeStatements({ failTogether: true });
    const db = {};
    const first = settled(['a', 'b', 'c', 'd'].map((input) => commit(db, input)));
    await answer(0); // a: its slot takes c and d as one batch; b still in flight
    expect(sent).toEqual([['a'], ['b'], ['c', 'd']]);
    const later = settled(['e', 'f'].map((input) => commit(db, input)));
    await answer(1); // the batch fails as a whole: its one slot takes c alone, d waits for a slot, e and f behind it
    expect(sent).toEqual([['a'], ['b'], ['c', 'd'], ['c']]);
    expect(load.inFlight).toBe(2);
    await answer(0); // b: d goes alone
    expect(sent.at(-1)).toEqual(['d']);
    await answer(0); // c: e and f, which waited behind the retries, go as one batch
    expect(sent.at(-1)).toEqual(['e', 'f']);
    await answerAll();
    expect(load.most).toBe(2);
    expect(await first).toEqual(['a done', 'b done', 'c done', 'd done']);
    expect(sent.slice(6)).toEqual([['e'], ['f']]);
    expect(await later).toEqual(['e done', 'f done']);
  });

  it('keeps one queue per database', async () => {
    const { commit, sent, answerAll } = fakeStatements();
    const answers = settled([commit({}, 'a'), commit({}, 'b'), commit({}, 'c'), commit({}, 'd')]);
    expect(sent).toEqual([['a'], ['b'], ['c'], ['d']]);
    await answerAll();
    expect(await answers).toEqual(['a done', 'b done', 'c done', 'd done']);
  });
});
