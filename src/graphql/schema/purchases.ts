import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { builder } from '../builder.js';
import { COMMON_ERRORS, orNotFound } from '../errors.js';
import { MoneyInputRef, MoneyRef } from '../scalars.js';
import {
  CardDeclinedError,
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  InsufficientFundsError,
  InvalidStateError,
  LimitReachedError,
  NoCardOnFileError,
  OutOfStockError,
  PriceChangedError,
  RiskBlockedError,
} from '../../shared/errors.js';
import {
  cancelPurchase,
  cancelPurchaseInput,
  confirmPurchase,
  confirmPurchaseInput,
  createPurchase,
  createPurchaseInput,
  getPurchasesByIds,
  listFailedSettlements,
  listPlayerPurchases,
  listPurchases,
  type PurchaseRow,
  type purchaseStatuses,
  visibleCardId,
  visibleFee,
  visibleRisk,
} from '../../modules/purchases/index.js';
import { getCardLabels } from '../../modules/cards/index.js';
import { parseInput } from '../../shared/validation.js';
import { PlayerRef, ViewerRef } from './accounts.js';
import { ItemRef } from './catalog.js';
import { GameRef } from './games.js';
import { decodeId, encodeCursor, keysetPage } from '../relay.js';
import { RiskAssessmentRef } from './fraud.js';
import { publicId } from '../../shared/public-ids.js';

/** What Purchase.confirmationReason says for each cause create-purchase records. */
const CONFIRMATION_REASONS: Record<string, string> = {
  always_ask: 'ALWAYS_ASK',
  currency: 'OTHER_CURRENCY',
  one_tap_max: 'ABOVE_ONE_TAP_MAX',
  daily_cap: 'DAILY_CAP',
};

export const PurchaseStatusEnum = builder.enumType('PurchaseStatus', {
  description:
    'Where a purchase is in its life. It waits for the player (REQUIRES_CONFIRMATION, REQUIRES_ACTION), is charged (PROCESSING), then ends SUCCEEDED, FAILED or CANCELED; a SUCCEEDED purchase may later be refunded.',
  values: {
    REQUIRES_CONFIRMATION: {
      description: 'Waiting for the player to confirm it on the pay sheet (payUrl); nothing is charged yet.',
    },
    REQUIRES_ACTION: {
      description: 'Waiting for the player to enter the CVC (requiresActionReason says why); nothing is charged yet.',
    },
    PROCESSING: { description: 'Being charged at the acquirer; wait for the outcome (purchaseUpdated or a webhook).' },
    SUCCEEDED: { description: 'Charged and delivered: the item is in the inventory (or the currency in the wallet).' },
    FAILED: { description: 'Not charged: declined, blocked by fraud checks, or an error (declineCode says which).' },
    CANCELED: { description: 'Not charged: canceled by the game or the player, or it expired before confirmation.' },
    PARTIALLY_REFUNDED: { description: 'Charged, and part of the price given back.' },
    REFUNDED: { description: 'Charged, and the whole price given back.' },
  } satisfies Record<(typeof purchaseStatuses)[number], { description: string }>,
});

const PurchaseCardRef = builder.objectRef<{ brand: string; last4: string }>('PurchaseCard').implement({
  description: 'The card a purchase was charged to: brand and last four digits only.',
  fields: (t) => ({
    brand: t.exposeString('brand', { description: 'visa, mastercard, american-express, discover…' }),
    last4: t.exposeString('last4', { description: 'The last four digits of the card number.' }),
  }),
});

export const PurchaseRef = builder.loadableNodeRef('Purchase', {
  id: { resolve: (p: PurchaseRow) => p.id },
  load: (ids: string[], ctx) => getPurchasesByIds(ctx.service, ids).then(orNotFound('Purchase')),
  sort: (p) => p.id,
});

PurchaseRef.implement({
  description: 'A purchase of an item by a player in a game.',
  fields: (t) => ({
    status: t.field({ type: PurchaseStatusEnum, description: 'Where the purchase is now.', resolve: (p) => p.status }),
    game: t.field({ type: GameRef, description: 'The game it was made in.', resolve: (p) => p.gameId }),
    item: t.field({ type: ItemRef, description: 'The item bought.', resolve: (p) => p.itemId }),
    quantity: t.exposeInt('quantity', { description: 'Units bought.' }),
    price: t.field({
      type: MoneyRef,
      description: 'What the buyer pays in all.',
      resolve: (p) => ({ amountMinor: p.amountMinor, currency: p.currency }),
    }),
    unitPrice: t.field({
      type: MoneyRef,
      description: 'The price of one unit when the purchase was made (later price changes do not touch it).',
      resolve: (p) => ({ amountMinor: p.unitPriceMinor, currency: p.currency }),
    }),
    fee: t.field({
      type: MoneyRef,
      nullable: true,
      description: "The platform's fee; shown to the game's developer, its secret key and operators only.",
      resolve: (p, _args, ctx) => visibleFee(ctx.service, p),
    }),
    player: t.field({ type: PlayerRef, description: 'The buyer.', resolve: (p) => p.playerId }),
    recipient: t.field({
      type: PlayerRef,
      description: 'Who receives the item (the buyer, or a friend for a gift).',
      resolve: (p) => p.recipientId,
    }),
    isGift: t.boolean({
      description: 'True when the item goes to another player than the buyer.',
      resolve: (p) => p.recipientId !== p.playerId,
    }),
    card: t.field({
      type: PurchaseCardRef,
      nullable: true,
      description: "The buyer's card: for the buyer, the game and operators (null for a gift's recipient).",
      resolve: async (p, _args, ctx) => {
        const cardId = await visibleCardId(ctx.service, p);
        return cardId ? ((await getCardLabels(ctx.service.deps.db, [cardId]))[0] ?? null) : null;
      },
    }),
    paidWith: t.string({ description: 'CARD or WALLET.', resolve: (p) => (p.path === 'wallet' ? 'WALLET' : 'CARD') }),
    oneTap: t.boolean({
      description: 'Charged at once within the one-tap allowance.',
      resolve: (p) => p.path === 'one_tap',
    }),
    risk: t.field({
      type: RiskAssessmentRef,
      nullable: true,
      description:
        "The fraud decision: in full for the game's developer, its secret key and operators; the buyer sees the decision, " +
        "score and rule names without values or thresholds; null for anyone else (a gift's recipient).",
      resolve: async (p, _args, ctx) => {
        const risk = await visibleRisk(ctx.service, p);
        return risk ? { ...risk, retryAfterSeconds: null } : null;
      },
    }),
    declineCode: t.exposeString('declineCode', {
      nullable: true,
      description:
        "Why a FAILED purchase failed: the card's decline code, risk_blocked, processing_error, or settlement_failed (charged, but the sale could not be recorded; the charge was voided).",
    }),
    failureReason: t.string({
      nullable: true,
      description:
        'What kept Coinslot from settling this purchase (the last error of recovery), when it did; operators only.',
      resolve: (p, _args, ctx) => (ctx.principal.kind === 'operator' ? p.failureReason : null),
    }),
    recoveryAttempts: t.int({
      nullable: true,
      description:
        'Recovery passes that failed to settle this charged purchase (it is given up at RECOVERY_MAX_ATTEMPTS); operators only.',
      resolve: (p, _args, ctx) => (ctx.principal.kind === 'operator' ? p.recoveryAttempts : null),
    }),
    requiresActionReason: t.string({
      nullable: true,
      description:
        'Why a REQUIRES_ACTION purchase waits: AUTHENTICATION (the bank) or STEP_UP (risk); both ask for the CVC.',
      resolve: (p) =>
        p.status !== 'REQUIRES_ACTION' ? null : p.actionReason === 'acquirer' ? 'AUTHENTICATION' : 'STEP_UP',
    }),
    confirmationReason: t.string({
      nullable: true,
      description:
        "Why a REQUIRES_CONFIRMATION purchase asks the player: ALWAYS_ASK (an allowance of zero), OTHER_CURRENCY (priced in another currency than the allowance), ABOVE_ONE_TAP_MAX (costs more than the one-tap maximum) or DAILY_CAP (today's one-tap buys reached the daily cap).",
      resolve: (p) =>
        p.status !== 'REQUIRES_CONFIRMATION' ? null : (CONFIRMATION_REASONS[p.actionReason ?? ''] ?? null),
    }),
    payUrl: t.string({
      nullable: true,
      description: 'Where the player confirms this purchase (the Coinslot pay sheet), while it waits for them.',
      resolve: (p) =>
        p.status === 'REQUIRES_CONFIRMATION' || p.status === 'REQUIRES_ACTION'
          ? `/pay/${publicId('Purchase', p.id)}`
          : null,
    }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description:
        'While the purchase waits for the player: the moment it is canceled unless confirmed (15 minutes after creation by default); null otherwise.',
    }),
    receipt: t.exposeString('receipt', {
      nullable: true,
      description: 'A JWS (ES256) over the purchase facts, verifiable with /.well-known/jwks.json.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the game started the purchase.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it last changed, its status included.' }),
  }),
});

builder.queryField('purchase', (t) =>
  t.field({
    type: PurchaseRef,
    nullable: true,
    description:
      'One purchase by its id, or null when there is none the caller may see: a player sees their own, a game its own, a developer those of their games.',
    args: { id: t.arg.id({ required: true, description: 'The purchase id (pur_…).' }) },
    authScopes: { authenticated: true },
    resolve: async (_root, { id }, ctx) => {
      const [row] = await getPurchasesByIds(ctx.service, [decodeId('Purchase', id, 'id')]);
      return row ?? null;
    },
  }),
);

builder.queryField('purchases', (t) =>
  t.connection(
    {
      type: PurchaseRef,
      description:
        "A game's purchases, newest first: a player sees their own; the game, its developer and operators see all.",
      args: {
        gameId: t.arg.id({ required: true, description: 'The game whose purchases to list (gam_…).' }),
        status: t.arg({ type: PurchaseStatusEnum, description: 'Only purchases in this status now.' }),
        from: t.arg({ type: 'DateTime', description: 'Only purchases created at or after this instant.' }),
        to: t.arg({ type: 'DateTime', description: 'Only purchases created before this instant.' }),
        playerId: t.arg.id({ description: 'One player (game keys, developers and operators).' }),
      },
      authScopes: { authenticated: true },
      resolve: (_root, args, ctx) => {
        const filter = {
          gameId: decodeId('Game', args.gameId, 'gameId'),
          status: args.status ?? null,
          from: args.from ?? null,
          to: args.to ?? null,
          playerId: args.playerId ? decodeId('Player', args.playerId, 'playerId') : null,
        };
        return resolveCursorConnection(
          { args, toCursor: (p: PurchaseRow) => encodeCursor(p), maxSize: 100 },
          (page: ResolveCursorConnectionArgs) => listPurchases(ctx.service, filter, keysetPage(page)),
        );
      },
    },
    PurchaseConnection,
  ),
);

builder.queryField('failedSettlements', (t) =>
  t.connection(
    {
      type: PurchaseRef,
      description:
        'Purchases of every game that were charged but could not be settled after RECOVERY_MAX_ATTEMPTS recovery passes: their charge was voided and they ended FAILED (settlement_failed). Most recent first; failureReason says why. Operator token only.',
      authScopes: { operator: true },
      resolve: (_root, args, ctx) =>
        resolveCursorConnection(
          {
            args,
            toCursor: (p: PurchaseRow) => encodeCursor({ createdAt: p.updatedAt, id: p.id }),
            maxSize: 100,
          },
          (page: ResolveCursorConnectionArgs) => listFailedSettlements(ctx.service, keysetPage(page)),
        ),
    },
    PurchaseConnection,
  ),
);

builder.objectField(ViewerRef, 'purchases', (t) =>
  t.connection(
    {
      type: PurchaseRef,
      description:
        "The signed-in player's purchases across every game, newest first: bought for themselves, given as gifts, and received from friends.",
      authScopes: { player: true },
      resolve: (_principal, args, ctx) =>
        resolveCursorConnection(
          { args, toCursor: (p: PurchaseRow) => encodeCursor(p), maxSize: 100 },
          (page: ResolveCursorConnectionArgs) => listPlayerPurchases(ctx.service, keysetPage(page)),
        ),
    },
    PurchaseConnection,
  ),
);

const PurchasePayload = builder.objectRef<PurchaseRow>('PurchasePayload').implement({
  description: 'What createPurchase, confirmPurchase and cancelPurchase answer when they succeed.',
  fields: (t) => ({
    purchase: t.field({
      type: PurchaseRef,
      description: 'The purchase as it is now; check its status (one tap may already be SUCCEEDED).',
      resolve: (p) => p,
    }),
  }),
});

const CreatePurchaseInput = builder.inputType('CreatePurchaseInput', {
  description: 'A purchase to start for the player of the game token.',
  fields: (t) => ({
    gameId: t.id({ required: true, description: 'The game of the token (gam_…).' }),
    itemId: t.id({ required: true, description: 'The item to buy (itm_…), on sale in the catalog.' }),
    quantity: t.int({ defaultValue: 1, description: 'Units to buy; a DURABLE item is bought one at a time.' }),
    expectedPrice: t.field({
      type: MoneyInputRef,
      required: true,
      description: 'The price the game showed; a different current price answers PriceChanged.',
    }),
    idempotencyKey: t.string({
      required: true,
      description: 'One key per intended purchase (1–255 printable characters); retries reuse it.',
    }),
    giftTo: t.id({ description: 'Another player, who has authorized the game, receives the item.' }),
    deviceId: t.string({ description: 'A stable id of the device, for fraud rules.' }),
  }),
});
const ConfirmPurchaseInput = builder.inputType('ConfirmPurchaseInput', {
  description: 'The player says yes to a purchase that waits for them.',
  fields: (t) => ({
    purchaseId: t.id({ required: true, description: 'The waiting purchase (pur_…).' }),
    cardId: t.id({ description: 'Pay with this card instead of the default.' }),
    cvc: t.string({ description: 'Required when the purchase is REQUIRES_ACTION.' }),
    idempotencyKey: t.string({
      required: true,
      description: 'One key per confirmation (1–255 printable characters); a retry with it charges at most once.',
    }),
  }),
});
const CancelPurchaseInput = builder.inputType('CancelPurchaseInput', {
  description: 'A purchase that waits for the player, to drop without charging.',
  fields: (t) => ({ purchaseId: t.id({ required: true, description: 'The waiting purchase (pur_…).' }) }),
});

const PURCHASE_ERRORS = [
  ...COMMON_ERRORS,
  PriceChangedError,
  OutOfStockError,
  LimitReachedError,
  NoCardOnFileError,
  CardDeclinedError,
  RiskBlockedError,
  InsufficientFundsError,
  IdempotencyKeyReusedError,
  IdempotencyInProgressError,
  InvalidStateError,
];

builder.mutationField('createPurchase', (t) =>
  t.field({
    type: PurchasePayload,
    description:
      'Buys an item for the player of the game token: one tap within the allowance, otherwise it waits in the pay sheet.',
    args: {
      input: t.arg({
        type: CreatePurchaseInput,
        required: true,
        description: 'The game, the item and how many units to buy.',
      }),
    },
    authScopes: { playerGame: true },
    errors: { types: PURCHASE_ERRORS, directResult: true },
    resolve: async (_root, { input }, ctx) => {
      const { purchase, item } = await createPurchase(
        ctx.service,
        parseInput(createPurchaseInput, {
          ...input,
          gameId: decodeId('Game', input.gameId, 'input.gameId'),
          itemId: decodeId('Item', input.itemId, 'input.itemId'),
          giftTo: input.giftTo ? decodeId('Player', input.giftTo, 'input.giftTo') : null,
          quantity: input.quantity ?? 1,
        }),
      );
      // The answer's `item` from the row the purchase read, not a second read of it.
      if (item) ItemRef.getDataloader(ctx).prime(item.id, item);
      return purchase;
    },
  }),
);

builder.mutationField('confirmPurchase', (t) =>
  t.field({
    type: PurchasePayload,
    description: 'The player confirms a waiting purchase in the pay sheet (player session), with the CVC when asked.',
    args: {
      input: t.arg({
        type: ConfirmPurchaseInput,
        required: true,
        description:
          'The pending purchase to charge (pur_…), its idempotency key and, optionally, another card or the CVC.',
      }),
    },
    authScopes: { player: true },
    errors: { types: PURCHASE_ERRORS, directResult: true },
    resolve: (_root, { input }, ctx) =>
      confirmPurchase(
        ctx.service,
        parseInput(confirmPurchaseInput, {
          ...input,
          purchaseId: decodeId('Purchase', input.purchaseId, 'input.purchaseId'),
          cardId: input.cardId ? decodeId('Card', input.cardId, 'input.cardId') : null,
        }),
      ),
  }),
);

builder.mutationField('cancelPurchase', (t) =>
  t.field({
    type: PurchasePayload,
    description: 'Cancels a purchase that still waits for the player; its stock goes back.',
    args: {
      input: t.arg({
        type: CancelPurchaseInput,
        required: true,
        description: 'The pending purchase to cancel (pur_…).',
      }),
    },
    authScopes: { $any: { player: true, playerGame: true } },
    errors: { types: [...COMMON_ERRORS, InvalidStateError], directResult: true },
    resolve: (_root, { input }, ctx) =>
      cancelPurchase(
        ctx.service,
        parseInput(cancelPurchaseInput, { purchaseId: decodeId('Purchase', input.purchaseId, 'input.purchaseId') }),
      ),
  }),
);

/** The shared Relay connection of purchases (one type wherever a list of them is paged). */
export const PurchaseConnection = builder.connectionObject({
  type: PurchaseRef,
  name: 'PurchaseConnection',
  description: 'A page of purchases, with the cursors to fetch the pages around it.',
});
