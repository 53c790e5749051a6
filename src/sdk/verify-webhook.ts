/**
 * Verifies Coinslot webhooks on a game server (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature` = space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`).
 * Standalone: imports only Node built-ins, nothing else of Coinslot.
 *
 *   import { verifyWebhook } from 'coinslot/verify-webhook';
 *   // with the RAW body, before any JSON parsing:
 *   const event = verifyWebhook({ payload: rawBody, headers: req.headers, secret: process.env.COINSLOT_WEBHOOK_SECRET });
 *   if (alreadyHandled(event.id)) return; // deliveries are at least once: de-duplicate by id
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface WebhookEvent<T = Record<string, unknown>> {
  /** `evt_…`: the same on every retry of this event; de-duplicate by it. */
  readonly id: string;
  /** purchase.succeeded, purchase.failed, purchase.refunded, purchase.disputed, item.consumed, item.granted, webhook.test */
  readonly type: string;
  /** When the event happened (ISO 8601). */
  readonly timestamp: string;
  readonly data: T;
}

type HeaderBag = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookOptions {
  /** The raw request body exactly as received (string or bytes); a re-serialized object will not verify. */
  readonly payload: string | Uint8Array;
  readonly headers: HeaderBag;
  /** The game's webhook secret `whsec_…`, or several while you rotate it. */
  readonly secret: string | readonly string[];
  /** How far webhook-timestamp may be from now, either way (default 300 s): older messages are replays. */
  readonly toleranceSeconds?: number;
  /** The time to compare against (default now). */
  readonly now?: Date | number;
}

export type WebhookVerificationCode =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'invalid_signature'
  | 'invalid_payload';

/** Why a webhook was refused; answer it with a 4xx and do not act on it. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  constructor(
    message: string,
    readonly code: WebhookVerificationCode,
  ) {
    super(message);
  }
}

const SECRET_PREFIX = 'whsec_';

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : bag[key];
  return Array.isArray(value) ? value.join(' ') : (value as string | undefined);
}

function keyOf(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  if (key.length === 0) throw new TypeError('verifyWebhook: the secret is empty or not base64');
  return key;
}

/**
 * Checks the signature (any of the `v1` signatures, with any of the secrets, compared in constant time)
 * and the timestamp's freshness, then returns the parsed event; throws WebhookVerificationError otherwise.
 */
export function verifyWebhook<T = Record<string, unknown>>(options: VerifyWebhookOptions): WebhookEvent<T> {
  const id = header(options.headers, 'webhook-id');
  const timestamp = header(options.headers, 'webhook-timestamp');
  const signatureHeader = header(options.headers, 'webhook-signature');
  if (!id || !timestamp || !signatureHeader) {
    throw new WebhookVerificationError(
      'Missing webhook-id, webhook-timestamp or webhook-signature header.',
      'missing_headers',
    );
  }
  if (!/^\d{1,12}$/.test(timestamp))
    throw new WebhookVerificationError('webhook-timestamp is not a Unix time in seconds.', 'invalid_timestamp');
  const tolerance = options.toleranceSeconds ?? 300;
  const nowMs =
    options.now === undefined ? Date.now() : typeof options.now === 'number' ? options.now : options.now.getTime();
  const skew = Math.floor(nowMs / 1000) - Number(timestamp);
  if (skew > tolerance) throw new WebhookVerificationError('The webhook timestamp is too old.', 'timestamp_too_old');
  if (skew < -tolerance)
    throw new WebhookVerificationError('The webhook timestamp is too far in the future.', 'timestamp_too_new');

  const body =
    typeof options.payload === 'string' ? Buffer.from(options.payload, 'utf8') : Buffer.from(options.payload);
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), body]);
  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret;
  const expected = secrets.map((secret) => createHmac('sha256', keyOf(secret)).update(signed).digest());
  const presented = signatureHeader
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  const valid = presented.some((candidate) =>
    expected.some((digest) => candidate.length === digest.length && timingSafeEqual(candidate, digest)),
  );
  if (!valid) throw new WebhookVerificationError('No webhook signature matches.', 'invalid_signature');

  let event: WebhookEvent<T>;
  try {
    event = JSON.parse(body.toString('utf8')) as WebhookEvent<T>;
  } catch {
    throw new WebhookVerificationError('The webhook body is not JSON.', 'invalid_payload');
  }
  if (!event || typeof event.type !== 'string' || typeof event.data !== 'object') {
    throw new WebhookVerificationError('The webhook body is not an event.', 'invalid_payload');
  }
  return { ...event, id: event.id ?? id };
}
