// Retry-After on every retryable answer, typed results included: a client (or a proxy, or an SDK's
// retry policy) learns when to come back from the HTTP header, not only from the body.
import type { Plugin } from 'graphql-yoga';

const waits = new WeakMap<Request, number>();

/** Notes that this request answers with something retryable after `seconds` (the longest wait wins). */
export function noteRetryAfter(request: Request, seconds: number | null | undefined): void {
  const wait = Math.max(1, Math.ceil(seconds ?? 1));
  waits.set(request, Math.max(waits.get(request) ?? 0, wait));
}

/** Sets `Retry-After` (seconds) on the response of a request that noted a retryable answer. */
export function retryAfterPlugin(): Plugin {
  return {
    onResponse({ request, response }) {
      const wait = waits.get(request);
      if (wait !== undefined && !response.headers.has('retry-after')) {
        response.headers.set('retry-after', String(wait));
      }
    },
  };
}
