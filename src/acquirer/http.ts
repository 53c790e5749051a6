import type { IncomingMessage, ServerResponse } from 'node:http';

/** An answer of the acquirer: a status and a JSON body. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A refusal thrown by a handler: rolls its transaction back and is never stored under an idempotency key.
 * `nothingDone` marks the 5xx answers that guarantee no effect (the client may then treat the outcome as known).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
    readonly nothingDone = false,
  ) {
    super(message);
  }

  toReply(): Reply {
    const error: Record<string, unknown> = { code: this.code, message: this.message, ...this.extra };
    if (this.status >= 500) error.retryable = true;
    if (this.nothingDone) error.outcome = 'none';
    return { status: this.status, body: { error } };
  }
}

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON body (at most 64 KiB); an empty body is `{}`. With 'data' and 'end' listeners rather than
 * `for await`, whose async iterator costs more than the small bodies here. Past the limit the request is
 * destroyed, as breaking out of `for await` would.
 */
export function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      fn();
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        settle(() => reject(new HttpError(413, 'body_too_large', `The body exceeds ${MAX_BODY_BYTES} bytes.`)));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void =>
      settle(() => {
        const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString('utf8');
        if (text.trim() === '') return resolve({});
        try {
          resolve(JSON.parse(text) as unknown);
        } catch {
          reject(new HttpError(400, 'invalid_json', 'The body is not valid JSON.'));
        }
      });
    const onError = (error: Error): void => settle(() => reject(error));
    const onClose = (): void => settle(() => reject(new Error('The request closed before its body ended.')));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

export function sendReply(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const body = reply.status === 204 ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...reply.headers,
  });
  res.end(body);
}

/** The body as a plain object, or a 400. */
export function asObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'invalid_request', 'The body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

export function invalid(field: string, message: string): HttpError {
  return new HttpError(400, 'invalid_request', `${field}: ${message}`, { field });
}

/**
 * A client may send `Acquirer-Deadline` (epoch ms): past it, the request is refused with nothing done
 * (503, outcome 'none'), so that once the client's own timeout has passed, a lookup is final.
 */
export function checkDeadline(req: IncomingMessage): void {
  const error = deadlineError(req);
  if (error) throw error;
}

/** The refusal of a request past its `Acquirer-Deadline`, or null. */
export function deadlineError(req: IncomingMessage): HttpError | null {
  const raw = req.headers['acquirer-deadline'];
  if (typeof raw !== 'string') return null;
  const deadline = Number(raw);
  if (Number.isFinite(deadline) && Date.now() >= deadline) {
    return new HttpError(
      503,
      'deadline_exceeded',
      'The request reached processing after its deadline; nothing was done.',
      {},
      true,
    );
  }
  return null;
}

/** The stored answer of an idempotency key, replayed for the same request; 422 for another request under the key. */
export function replayReply(
  stored: { requestHash: string; responseStatus: number; responseBody: unknown },
  requestHash: string,
): Reply {
  if (stored.requestHash !== requestHash) {
    throw new HttpError(422, 'idempotency_key_reused', 'This Idempotency-Key was used with a different request.');
  }
  return { status: stored.responseStatus, body: stored.responseBody, headers: { 'idempotent-replayed': 'true' } };
}
