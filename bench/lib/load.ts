// Load from this process with autocannon against the server process: fixed or rotating requests,
// every response checked, latency from each response (autocannon's own table has no p95).
import autocannon from 'autocannon';
import { latency, type Latency } from './stats.js';

export interface NextRequest {
  readonly body: string;
  readonly headers?: Record<string, string>;
}

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  /** Seconds to run; ignored when `amount` is set. */
  readonly duration?: number;
  /** Requests to send instead of a duration. */
  readonly amount?: number;
  /** Builds each request (rotating credentials and idempotency keys). */
  readonly next: () => NextRequest;
  /** null when the answer is what was wanted, otherwise a short label of what came back. */
  readonly check?: (status: number, body: string) => string | null;
  readonly timeoutSeconds?: number;
}

export interface LoadResult {
  readonly connections: number;
  readonly seconds: number;
  readonly sent: number;
  /** Answers that passed the check. */
  readonly ok: number;
  /** OK answers per second. */
  readonly rps: number;
  readonly latency: Latency;
  /** What came back instead, by label (socket errors and timeouts included). */
  readonly failures: Record<string, number>;
}

/** Runs one load and returns its figures. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const samples: number[] = [];
  const failures: Record<string, number> = {};
  let ok = 0;
  const fail = (label: string) => {
    failures[label] = (failures[label] ?? 0) + 1;
  };
  let finish: (result: autocannon.Result) => void = () => {};
  let abort: (error: unknown) => void = () => {};
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    abort = reject;
  });
  const instance = autocannon(
    {
      url: `${options.url}/graphql`,
      connections: options.connections,
      ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 10 }),
      timeout: options.timeoutSeconds ?? 30,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => {
            const next = options.next();
            return {
              ...request,
              method: 'POST',
              path: '/graphql',
              headers: { 'content-type': 'application/json', ...next.headers },
              body: next.body,
            };
          },
          onResponse: (status, body) => {
            const problem = status !== 200 ? `HTTP ${status}` : options.check ? options.check(status, body) : null;
            if (problem) fail(problem);
            else ok++;
          },
        },
      ],
    },
    (error: unknown, result: autocannon.Result) => (error ? abort(error) : finish(result)),
  );
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    samples.push(responseTime);
  });
  const result = await done;
  if (result.errors > 0) failures['socket errors'] = result.errors;
  if (result.timeouts > 0) failures.timeouts = result.timeouts;
  const seconds = result.duration;
  return {
    connections: options.connections,
    seconds,
    sent: samples.length,
    ok,
    rps: ok / seconds,
    latency: latency(samples),
    failures,
  };
}

/** A GraphQL answer with no `errors` (for queries). */
export function noErrors(_status: number, body: string): string | null {
  if (body.includes('"errors"')) {
    const match = /"message":"([^"]{0,80})/.exec(body);
    return `errors: ${match?.[1] ?? '?'}`;
  }
  return null;
}

/** A createPurchase that answered a SUCCEEDED purchase; else its union member (RiskBlocked…). */
export function succeededPurchase(_status: number, body: string): string | null {
  if (body.includes('"status":"SUCCEEDED"')) return null;
  const typename = /"createPurchase":\{"__typename":"([A-Za-z]+)"/.exec(body)?.[1];
  if (typename === 'PurchasePayload') return `purchase ${/"status":"([A-Z_]+)"/.exec(body)?.[1] ?? '?'}`;
  if (typename) return typename;
  return noErrors(_status, body) ?? 'unexpected answer';
}
