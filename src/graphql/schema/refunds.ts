import DataLoader from 'dataloader';
import { createContextCache } from '@pothos/core';
import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { COMMON_ERRORS, ErrorInterface, orNotFound } from '../errors.js';
import { MoneyInputRef, MoneyRef } from '../scalars.js';
import { IdempotencyInProgressError, IdempotencyKeyReusedError, InvalidStateError } from '../../shared/errors.js';
import { refundable, refundedSoFar, type PurchaseRow } from '../../modules/purchases/index.js';
import {
  getDisputesByIds,
  getDisputesByPurchaseIds,
  getRefundsByIds,
  getRefundsByPurchaseIds,
  listDisputes,
  listRefunds,
  refundPurchase,
  refundPurchaseInput,
  refundStatuses,
  sumDisputed,
  visibleFeeReturned,
  RefundExceedsRemainingError,
  RefundRejectedError,
  type DisputeRow,
  type RefundOutcome,
  type RefundRow,
} from '../../modules/refunds/index.js';
import { decodeId, encodeCursor, keysetPage } from '../relay.js';
import { PurchaseRef } from './purchases.js';
import { publicId } from '../../shared/public-ids.js';
import { parseInput } from '../../shared/validation.js';

const REFUND_STATUS_DESCRIPTIONS: Record<(typeof refundStatuses)[number], string> = {
  pending: 'Asked of the acquirer, answer not yet in; Coinslot keeps asking until it answers.',
  succeeded: 'The money went back to the player’s card.',
  failed: 'The acquirer refused; no money moved and the amount can be refunded again.',
};
const RefundStatusEnum = builder.enumType('RefundStatus', {
  description:
    'PENDING: the amount is reserved and the acquirer is being asked (retried until it answers); SUCCEEDED: the money went back; FAILED: the acquirer refused, the amount is refundable again.',
  values: Object.fromEntries(
    refundStatuses.map((s) => [s.toUpperCase(), { value: s, description: REFUND_STATUS_DESCRIPTIONS[s] }]),
  ) as Record<string, { value: (typeof refundStatuses)[number] }>,
});

/** Per request: a purchase's refunds and disputes, loaded once for a whole page of purchases. */
const refundsOf = createContextCache(
  (ctx: GraphQLContext) => new DataLoader<string, RefundRow[]>((ids) => getRefundsByPurchaseIds(ctx.service, ids)),
);
const disputesOf = createContextCache(
  (ctx: GraphQLContext) => new DataLoader<string, DisputeRow[]>((ids) => getDisputesByPurchaseIds(ctx.service, ids)),
);

/** Forgets what the loaders above read for this context: a subscription resolves each event anew. */
export function forgetRefundsAndDisputes(ctx: GraphQLContext): void {
  refundsOf(ctx).clearAll();
  disputesOf(ctx).clearAll();
}

export const RefundRef = builder.loadableNodeRef('Refund', {
  id: { resolve: (r: RefundRow) => r.id },
  load: (ids: string[], ctx) => getRefundsByIds(ctx.service, ids).then(orNotFound('Refund')),
  sort: (r) => r.id,
});
RefundRef.implement({
  description: 'A refund of (part of) a purchase.',
  fields: (t) => ({
    purchase: t.field({ type: PurchaseRef, description: 'The purchase refunded.', resolve: (r) => r.purchaseId }),
    amount: t.field({
      type: MoneyRef,
      description: "What goes back to the player, in the purchase's currency.",
      resolve: (r) => ({ amountMinor: r.amountMinor, currency: r.currency }),
    }),
    status: t.field({
      type: RefundStatusEnum,
      description: 'Whether the money went back yet.',
      resolve: (r) => r.status,
    }),
    reason: t.exposeString('reason', { description: 'Why it was refunded, as given when it was asked for.' }),
    feeReturned: t.field({
      type: MoneyRef,
      nullable: true,
      description:
        "The platform fee this refund gave back (largest-remainder share); for the developer, the game's secret key and operators, once succeeded.",
      resolve: (r, _args, ctx) => visibleFeeReturned(ctx.service, r),
    }),
    failureCode: t.exposeString('failureCode', { nullable: true, description: "The acquirer's refusal, when FAILED." }),
    requestedBy: t.string({
      description: 'GAME (secret key) or OPERATOR.',
      resolve: (r) => (r.requestedBy === 'operator' ? 'OPERATOR' : 'GAME'),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the refund was asked for.' }),
    completedAt: t.expose('completedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the acquirer answered (SUCCEEDED or FAILED); null while PENDING.',
    }),
  }),
});

export const DisputeRef = builder.loadableNodeRef('Dispute', {
  id: { resolve: (d: DisputeRow) => d.id },
  load: (ids: string[], ctx) => getDisputesByIds(ctx.service, ids).then(orNotFound('Dispute')),
  sort: (d) => d.id,
});
DisputeRef.implement({
  description: 'A dispute (chargeback) the card holder raised through the acquirer.',
  fields: (t) => ({
    purchase: t.field({ type: PurchaseRef, description: 'The purchase disputed.', resolve: (d) => d.purchaseId }),
    amount: t.field({
      type: MoneyRef,
      description:
        "What the dispute took back of the purchase (the acquirer's claim, capped at what refunds had left).",
      resolve: (d) => ({ amountMinor: d.amountMinor, currency: d.currency }),
    }),
    claimedAmount: t.field({
      type: MoneyRef,
      description: 'The amount the acquirer reported.',
      resolve: (d) => ({ amountMinor: d.acquirerAmountMinor, currency: d.currency }),
    }),
    reason: t.exposeString('reason', { description: 'The reason for the dispute, as the acquirer reported it.' }),
    acquirerDisputeId: t.exposeString('acquirerDisputeId', {
      description: "The acquirer's own id for the dispute, for support cases.",
    }),
    feeReturned: t.field({
      type: MoneyRef,
      nullable: true,
      description: "The platform fee the dispute gave back; for the developer, the game's secret key and operators.",
      resolve: (d, _args, ctx) => visibleFeeReturned(ctx.service, d),
    }),
    raisedAt: t.expose('raisedAt', { type: 'DateTime', description: 'When the acquirer raised it.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When Coinslot recorded it.' }),
  }),
});

builder.objectField(PurchaseRef, 'refunds', (t) =>
  t.field({
    type: [RefundRef],
    description: 'Its refunds, oldest first.',
    resolve: (p, _args, ctx) => refundsOf(ctx).load(p.id),
  }),
);
builder.objectField(PurchaseRef, 'disputes', (t) =>
  t.field({
    type: [DisputeRef],
    description: 'Its disputes (chargebacks), oldest first.',
    resolve: (p, _args, ctx) => disputesOf(ctx).load(p.id),
  }),
);
builder.objectField(PurchaseRef, 'disputed', (t) =>
  t.boolean({
    description: 'Whether the card holder disputed the charge.',
    resolve: async (p, _args, ctx) => (await disputesOf(ctx).load(p.id)).length > 0,
  }),
);
builder.objectField(PurchaseRef, 'disputedAmount', (t) =>
  t.field({
    type: MoneyRef,
    description: 'What disputes took back (status counts it with refunds: REFUNDED once all the money went back).',
    resolve: async (p, _args, ctx) => ({
      amountMinor: sumDisputed(await disputesOf(ctx).load(p.id)),
      currency: p.currency,
    }),
  }),
);
builder.objectField(PurchaseRef, 'refunded', (t) =>
  t.field({
    type: MoneyRef,
    description: 'What refunds gave back to the card holder (or wallet) so far; pending ones are in refundPending.',
    resolve: (p: PurchaseRow) => ({ amountMinor: refundedSoFar(p), currency: p.currency }),
  }),
);
builder.objectField(PurchaseRef, 'refundPending', (t) =>
  t.field({
    type: MoneyRef,
    description:
      'What refunds asked for and not yet answered by the acquirer hold reserved (not refundable meanwhile).',
    resolve: (p: PurchaseRow) => ({ amountMinor: p.refundPendingMinor, currency: p.currency }),
  }),
);
builder.objectField(PurchaseRef, 'refundable', (t) =>
  t.field({
    type: MoneyRef,
    description:
      'What may still be refunded: the price less refunds (pending ones included) and disputes; zero unless SUCCEEDED or PARTIALLY_REFUNDED.',
    resolve: async (p: PurchaseRow, _args, ctx) => ({
      amountMinor: refundable(p, sumDisputed(await disputesOf(ctx).load(p.id))),
      currency: p.currency,
    }),
  }),
);

function decodeFilter(args: {
  gameId?: string | number | null;
  purchaseId?: string | number | null;
  from?: Date | null;
  to?: Date | null;
}) {
  return {
    gameId: args.gameId == null ? null : decodeId('Game', args.gameId, 'gameId'),
    purchaseId: args.purchaseId == null ? null : decodeId('Purchase', args.purchaseId, 'purchaseId'),
    from: args.from ?? null,
    to: args.to ?? null,
  };
}

builder.queryField('refunds', (t) =>
  t.connection(
    {
      type: RefundRef,
      description: "Refunds, newest first: a developer sees their games', a game's secret key its own, operators all.",
      args: {
        gameId: t.arg.id({ description: 'One game; without it, every game the caller may see.' }),
        purchaseId: t.arg.id({ description: 'Only the refunds of this purchase (pur_…).' }),
        from: t.arg({ type: 'DateTime', description: 'Only refunds asked for at or after this instant.' }),
        to: t.arg({ type: 'DateTime', description: 'Only refunds asked for before this instant.' }),
        status: t.arg({ type: RefundStatusEnum, description: 'Only refunds in this status now.' }),
      },
      authScopes: { $any: { developer: true, gameSecret: true, operator: true } },
      resolve: (_root, args, ctx) => {
        const filter = { ...decodeFilter(args), status: args.status ?? null };
        return resolveCursorConnection(
          { args, toCursor: (r: RefundRow) => encodeCursor(r), maxSize: 100 },
          (page: ResolveCursorConnectionArgs) => listRefunds(ctx.service, filter, keysetPage(page)),
        );
      },
    },
    RefundConnection,
  ),
);

builder.queryField('disputes', (t) =>
  t.connection(
    {
      type: DisputeRef,
      description:
        "Disputes (chargebacks), newest first: a developer sees their games', a game's secret key its own, operators all.",
      args: {
        gameId: t.arg.id({ description: 'One game; without it, every game the caller may see.' }),
        purchaseId: t.arg.id({ description: 'Only the disputes of this purchase (pur_…).' }),
        from: t.arg({ type: 'DateTime', description: 'Only disputes opened at or after this instant.' }),
        to: t.arg({ type: 'DateTime', description: 'Only disputes opened before this instant.' }),
      },
      authScopes: { $any: { developer: true, gameSecret: true, operator: true } },
      resolve: (_root, args, ctx) => {
        const filter = decodeFilter(args);
        return resolveCursorConnection(
          { args, toCursor: (d: DisputeRow) => encodeCursor(d), maxSize: 100 },
          (page: ResolveCursorConnectionArgs) => listDisputes(ctx.service, filter, keysetPage(page)),
        );
      },
    },
    DisputeConnection,
  ),
);

builder.objectType(RefundExceedsRemainingError, {
  name: 'RefundExceedsRemaining',
  description:
    'REFUND_EXCEEDS_REMAINING: the amount asked is more than what is left to refund on the purchase; nothing was refunded.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    remaining: t.field({ type: MoneyRef, description: 'What may still be refunded.', resolve: (e) => e.remaining }),
  }),
});
builder.objectType(RefundRejectedError, {
  name: 'RefundRejected',
  description: 'REFUND_REJECTED: the acquirer refused the refund; the refund is kept as FAILED and no money moved.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    acquirerCode: t.exposeString('acquirerCode', { description: "The acquirer's reason for refusing it." }),
    refundId: t.id({ description: 'The failed refund (ref_…).', resolve: (e) => publicId('Refund', e.refundId) }),
  }),
});

const RefundPurchaseInput = builder.inputType('RefundPurchaseInput', {
  description: 'A refund of all or part of a succeeded purchase.',
  fields: (t) => ({
    purchaseId: t.id({ required: true, description: 'The purchase to refund (pur_…).' }),
    amount: t.field({
      type: MoneyInputRef,
      description: "A partial refund, in the purchase's currency; everything left when absent.",
    }),
    reason: t.string({ required: true, description: 'Why (1–500 characters), kept with the refund.' }),
    idempotencyKey: t.string({
      required: true,
      description: 'One key per intended refund; a retry with it refunds once.',
    }),
  }),
});

const RefundPurchasePayload = builder.objectRef<RefundOutcome>('RefundPurchasePayload').implement({
  description: 'The refund asked for and the purchase after it.',
  fields: (t) => ({
    purchase: t.field({
      type: PurchaseRef,
      description: 'The purchase, PARTIALLY_REFUNDED or REFUNDED once the refund succeeded.',
      resolve: (o) => o.purchase,
    }),
    refund: t.field({
      type: RefundRef,
      description: 'SUCCEEDED, or PENDING when the acquirer could not be reached (completed in the background).',
      resolve: (o) => o.refund,
    }),
  }),
});

builder.mutationField('refundPurchase', (t) =>
  t.field({
    type: RefundPurchasePayload,
    description:
      "Refunds a purchase in full (no amount) or in part, never beyond what is left; the game's secret key (its own purchases) or an operator. The entitlement goes back as the refund policy says.",
    args: {
      input: t.arg({
        type: RefundPurchaseInput,
        required: true,
        description: 'Which purchase to refund, how much and why.',
      }),
    },
    authScopes: { $any: { gameSecret: true, operator: true } },
    errors: {
      types: [
        ...COMMON_ERRORS,
        RefundExceedsRemainingError,
        RefundRejectedError,
        InvalidStateError,
        IdempotencyKeyReusedError,
        IdempotencyInProgressError,
      ],
      directResult: true,
    },
    resolve: (_root, { input }, ctx) =>
      refundPurchase(
        ctx.service,
        parseInput(refundPurchaseInput, {
          ...input,
          purchaseId: decodeId('Purchase', input.purchaseId, 'input.purchaseId'),
        }),
      ),
  }),
);

/** The shared Relay connection of refunds (one type wherever a list of them is paged). */
export const RefundConnection = builder.connectionObject({
  type: RefundRef,
  name: 'RefundConnection',
  description: 'A page of refunds, with the cursors to fetch the pages around it.',
});

/** The shared Relay connection of disputes (one type wherever a list of them is paged). */
export const DisputeConnection = builder.connectionObject({
  type: DisputeRef,
  name: 'DisputeConnection',
  description: 'A page of disputes, with the cursors to fetch the pages around it.',
});
