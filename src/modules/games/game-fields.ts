import { z } from 'zod';
import { isIsoCurrency } from '../../shared/currencies.js';
import { ValidationError } from '../../shared/errors.js';
import { text } from '../../shared/validation.js';
import type { OutboundHttp } from '../../shared/outbound-http-port.js';

// Plain http is only for a developer's own machine; anything reachable from outside must be https.
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A webhook endpoint: https, or http on localhost only; no credentials in the URL. */
export const webhookUrl = z
  .string()
  .trim()
  .max(2048, 'must be at most 2048 characters')
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' });
      return;
    }
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not contain credentials' });
    else if (url.protocol === 'http:' && !LOCAL_HOSTS.has(url.hostname))
      ctx.addIssue({ code: 'custom', message: 'must use https (plain http is allowed on localhost only)' });
    else if (url.protocol !== 'https:' && url.protocol !== 'http:')
      ctx.addIssue({ code: 'custom', message: 'must use https' });
  });

/**
 * Refuses a webhook URL whose host can never be called (a loopback, private, link-local or metadata
 * address written literally, in any of its spellings, or a metadata host name), unless private
 * networks are allowed. Names are resolved and checked again at every delivery.
 */
export function assertWebhookDestination(
  outboundHttp: Pick<OutboundHttp, 'refusal'>,
  url: string | null | undefined,
  path = 'input.webhookUrl',
): void {
  if (!url) return;
  const refusal = outboundHttp.refusal(url);
  if (refusal) throw ValidationError.field(path, `is not an allowed destination (${refusal})`);
}

export const platformFeeBps = z
  .number()
  .int('must be a whole number of basis points')
  .min(0, 'must be between 0 and 10000 basis points')
  .max(10_000, 'must be between 0 and 10000 basis points');

export const isoCurrency = z.string().refine(isIsoCurrency, 'must be an ISO 4217 currency code such as USD');

export const gameName = text(100);
