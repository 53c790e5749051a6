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

/** Loopback hosts a developer's own machine serves from (RFC 8252 §7.3; browsers treat them as secure). */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

const MAX_ENTRIES = 20;

/**
 * A game's web origins (`https://play.skyhopper.example`): exactly an origin (no path, query,
 * wildcard or credentials), https, or http on loopback outside production. Coinslot posts results
 * only to these, frames its pages only inside them, and lets them call the API (CORS).
 */
export const allowedOrigins = (production: boolean) =>
  z
    .array(
      z
        .string()
        .trim()
        .max(255, 'must be at most 255 characters')
        .superRefine((value, ctx) => {
          if (value.includes('*')) {
            ctx.addIssue({ code: 'custom', message: 'must be an exact origin, without wildcards' });
            return;
          }
          let url: URL;
          try {
            url = new URL(value);
          } catch {
            ctx.addIssue({ code: 'custom', message: 'must be an origin such as https://play.example.com' });
            return;
          }
          if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
            if (production)
              ctx.addIssue({ code: 'custom', message: 'must use https (http on loopback is for development only)' });
          } else if (url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must use https' });
          // `new URL` lowercases the host and drops the default port: the origin must be written that way.
          if (url.origin !== value)
            ctx.addIssue({
              code: 'custom',
              message: `must be exactly an origin (scheme, host and port; no path or trailing slash), such as ${url.origin === 'null' ? 'https://play.example.com' : url.origin}`,
            });
        }),
    )
    .max(MAX_ENTRIES, `must have at most ${MAX_ENTRIES} entries`)
    .transform((list) => [...new Set(list)]);

/**
 * A native app's redirect URIs (RFC 8252): a private-use scheme in reverse-domain form
 * (`com.skyhopper.game:/coinslot`), an https app link, or http on loopback outside production.
 * Exact values: no wildcard, no fragment, no credentials.
 */
export const redirectUris = (production: boolean) =>
  z
    .array(
      z
        .string()
        .trim()
        .max(2048, 'must be at most 2048 characters')
        .superRefine((value, ctx) => {
          if (value.includes('*')) {
            ctx.addIssue({ code: 'custom', message: 'must be an exact URI, without wildcards' });
            return;
          }
          let url: URL;
          try {
            url = new URL(value);
          } catch {
            ctx.addIssue({ code: 'custom', message: 'must be an absolute URI such as com.example.game:/coinslot' });
            return;
          }
          const scheme = url.protocol.slice(0, -1);
          if (url.hash || value.includes('#')) ctx.addIssue({ code: 'custom', message: 'must not have a fragment' });
          else if (url.username || url.password)
            ctx.addIssue({ code: 'custom', message: 'must not contain credentials' });
          else if (scheme === 'https') {
            if (!url.hostname) ctx.addIssue({ code: 'custom', message: 'must name a host' });
          } else if (scheme === 'http') {
            if (!isLoopbackHost(url.hostname) || production)
              ctx.addIssue({
                code: 'custom',
                message: 'must use https (http on loopback is for development only)',
              });
          } else if (!/^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme))
            // RFC 8252 §7.1: a private-use scheme is a reverse domain name the studio controls.
            ctx.addIssue({
              code: 'custom',
              message:
                'must be https or a private-use scheme in reverse-domain form, such as com.example.game:/coinslot',
            });
        }),
    )
    .max(MAX_ENTRIES, `must have at most ${MAX_ENTRIES} entries`)
    .transform((list) => [...new Set(list)]);
