import { builder } from '../builder.js';
import { NotFoundError, UnauthenticatedError } from '../../shared/errors.js';
import { authenticate } from '../../modules/accounts/index.js';
import { getPurchase, type PurchaseRow } from '../../modules/purchases/index.js';
import { watchPurchase } from '../../modules/webhooks/index.js';
import type { GraphQLContext } from '../context.js';
import { decodeId } from '../relay.js';
import { PurchaseRef } from './purchases.js';
import { forgetRefundsAndDisputes } from './refunds.js';

builder.subscriptionType({
  description: 'Live updates, streamed over server-sent events (POST /graphql with Accept: text/event-stream).',
});

/**
 * The purchase as the subscriber may see it now: its credentials are authenticated again (a
 * revoked session or key ends the stream) and the purchase read with their access.
 */
async function readAsSubscriber(ctx: GraphQLContext, purchaseId: string): Promise<PurchaseRow | null> {
  try {
    const principal = await authenticate(ctx.service.deps, ctx.request.headers.get('authorization'));
    return await getPurchase({ ...ctx.service, principal }, purchaseId);
  } catch (error) {
    if (error instanceof UnauthenticatedError) return null;
    throw error;
  }
}

builder.subscriptionField('purchaseUpdated', (t) =>
  t.field({
    type: PurchaseRef,
    description:
      'The purchase now, then after every change, from whichever server instance made it (over SSE: ' +
      'POST /graphql with Accept: text/event-stream). A player sees only their own purchases, a game only its own.',
    args: { id: t.arg.id({ required: true, description: 'The purchase to follow (pur_…).' }) },
    authScopes: { authenticated: true },
    subscribe: async (_root, { id }, ctx) => {
      const purchaseId = decodeId('Purchase', id, 'id');
      // checked before anything is streamed: someone else's purchase is NOT_FOUND, as in queries
      if (!(await getPurchase(ctx.service, purchaseId))) throw new NotFoundError('Purchase');
      return watchPurchase(
        ctx.service.deps,
        purchaseId,
        () => readAsSubscriber(ctx, purchaseId),
        (p) =>
          `${p.status}|${p.updatedAt.toISOString()}|${p.refundedOrPendingMinor}|${p.refundPendingMinor}|${p.receipt ? 1 : 0}`,
      );
    },
    resolve: (purchase, _args, ctx) => {
      // One context serves the whole stream: what its loaders read for the last event is stale now.
      forgetRefundsAndDisputes(ctx);
      return purchase;
    },
  }),
);
