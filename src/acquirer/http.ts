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

/** Reads a JSON body (at most 64 KiB); an empty body is `{}`. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body_too_large', `The body exceeds ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_json', 'The body is not valid JSON.');
  }
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
