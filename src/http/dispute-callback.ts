import { randomUUID } from 'node:crypto';
import { AcquirerRejectedError } from '../shared/acquirer-port.js';
import { recordDispute } from '../modules/refunds/index.js';
import { systemActor } from '../shared/principal.js';
import type { Deps, ServiceContext } from '../modules/service-context.js';

/** The path the acquirer POSTs new disputes to (registered at start with registerDisputeCallback). */
export const DISPUTE_CALLBACK_PATH = '/acquirer/disputes';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * POST /acquirer/disputes: a dispute pushed by the acquirer. The raw body and headers are checked by
 * the acquirer port (signature, freshness); a forged call gets 400. The dispute is recorded once
 * (redeliveries answer 200 again); a purchase not settled yet answers 503 so the acquirer retries.
 */
export async function disputeCallback(deps: Deps, request: Request): Promise<Response> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) return Response.json({ error: 'too_large' }, { status: 413 });
  const rawBody = await request.text();
  if (Buffer.byteLength(rawBody) > MAX_BODY_BYTES) return Response.json({ error: 'too_large' }, { status: 413 });
  let dispute: ReturnType<typeof deps.acquirer.parseDisputeCallback>;
  try {
    // A plain record: the server adapter's Headers may not be the global class the port checks for.
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    dispute = deps.acquirer.parseDisputeCallback({ headers, rawBody });
  } catch (error) {
    if (error instanceof AcquirerRejectedError) {
      deps.logger.warn({ code: error.code }, 'dispute callback refused');
      return Response.json({ error: error.code }, { status: 400 });
    }
    throw error;
  }
  const ctx: ServiceContext = {
    deps,
    principal: systemActor('dispute-callback'),
    requestId: request.headers.get('x-request-id')?.slice(0, 100) || randomUUID(),
    ip: null,
  };
  const result = await recordDispute(ctx, dispute);
  if (result.outcome === 'retry')
    return Response.json(
      { error: 'not_ready', reason: result.reason },
      { status: 503, headers: { 'retry-after': '5' } },
    );
  return Response.json({ received: true, outcome: result.outcome });
}
