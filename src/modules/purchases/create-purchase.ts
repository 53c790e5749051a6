import { z } from 'zod';
import {
  CardDeclinedError,
  IdempotencyKeyReusedError,
  NoCardOnFileError,
  NotFoundError,
  PriceChangedError,
  RiskBlockedError,
  ValidationError,
} from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { isIsoCurrency } from '../../shared/currencies.js';
import type { Money } from '../../shared/money.js';
import { minorUnits } from '../../shared/validation.js';
import { isOnSale, MAX_PURCHASE_QUANTITY, type CatalogItem } from '../catalog/index.js';
import {
  assessPurchase,
  releasePurchaseAmount,
  riskEventRecord,
  type PurchaseAssessment,
  type PurchaseChecks,
} from '../fraud/index.js';
import { assertIdempotencyKey } from '../idempotency/index.js';
import { publishPurchaseUpdate } from '../webhooks/index.js';
import type { ServiceContext } from '../service-context.js';
import { requirePlayerGame } from './access.js';
import { chargeAndSettle, settlementPending } from './charge-card.js';
import { isIdempotencyKeyViolation, phaseOneRefusal, runPhaseOne } from './phase-one.js';
import { loadPurchaseContext, type PurchaseContext } from './purchase-context.js';
import { findByIdempotencyKey, findPurchase, type PurchaseRow } from './purchase-row.js';
import { afterSuccess, successOf } from './settle-charge.js';
import { stockHoldUntil } from './stock-holds.js';
import { runWalletPurchase, walletPurchaseRefusal, type WalletPurchaseResult } from './wallet-purchase.js';

const uuid = z.uuid('must be an id');

/** createPurchase's input as the boundary parses it (parseInput): ids as row ids, the expected price as Money. */
export const createPurchaseInput = z.object({
  gameId: uuid,
  itemId: uuid,
  quantity: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_PURCHASE_QUANTITY, `must be at most ${MAX_PURCHASE_QUANTITY}`)
    .default(1),
  expectedPrice: z
    .object({
      amount: minorUnits(),
      currency: z.string().regex(/^[A-Z]{2,8}$/, 'must be a currency code'),
    })
    .transform((m): Money => ({ amountMinor: m.amount, currency: m.currency })),
  idempotencyKey: z.string(),
  giftTo: uuid.nullish(),
  deviceId: z.string().max(200).nullish(),
});

export type CreatePurchaseInput = z.output<typeof createPurchaseInput>;

/**
 * A player buys an item in a game (game token). Within the one-tap allowance the default card is
 * charged at once; otherwise the purchase waits for the player in the pay sheet. Items priced in a
 * game currency are paid from the wallet in one transaction. Retries with the same idempotency key
 * return the same purchase (the database backstop of the Redis idempotency layer).
 */
export async function createPurchase(ctx: ServiceContext, input: CreatePurchaseInput): Promise<CreatedPurchase> {
  const principal = requirePlayerGame(ctx);
  assertIdempotencyKey(input.idempotencyKey);
  const expected = input.expectedPrice;
  if (input.gameId !== principal.gameId) throw new NotFoundError('Game');
  const { db, clock } = ctx.deps;
  const buyerId = principal.playerId;
  const recipientId = input.giftTo ?? buyerId;

  // One round trip for everything read before phase 1, the idempotency backstop included.
  const context = await loadPurchaseContext(db, ctx.deps.config, {
    gameId: input.gameId,
    playerId: buyerId,
    recipientId,
    itemId: input.itemId,
    idempotencyKey: input.idempotencyKey,
  });
  if (context.existing)
    return { purchase: await replayExisting(context.existing, { ...input, recipientId, expected }), item: null };

  const { game, item } = context;
  if (!game) throw new NotFoundError('Game');
  if (!item || !isOnSale(item, clock.now())) throw new NotFoundError('Item');
  const unitPrice = item.prices.find((p) => p.currency === expected.currency);
  if (!unitPrice || unitPrice.amountMinor !== expected.amountMinor) {
    throw new PriceChangedError(
      unitPrice ?? item.prices.find((p) => p.currency === game.defaultCurrency) ?? (item.prices[0] as Money),
    );
  }
  const total = unitPrice.amountMinor * input.quantity;
  if (!Number.isSafeInteger(total)) throw ValidationError.field('input.quantity', 'makes the amount too large');
  assertGrantFits(item, context.recipientGrantBalanceMinor, input.quantity);
  if (recipientId !== buyerId && !context.recipientAuthorized)
    throw new NotFoundError('Gift recipient (a player who has authorized this game)');
  const order: Order = {
    id: newId(),
    gameId: game.id,
    feeBps: game.platformFeeBps,
    buyerId,
    recipientId,
    item,
    quantity: input.quantity,
    unitPriceMinor: unitPrice.amountMinor,
    amountMinor: total,
    currency: unitPrice.currency,
    idempotencyKey: input.idempotencyKey,
    deviceId: input.deviceId ?? null,
  };
  if (isIsoCurrency(order.currency)) return buyWithCard(ctx, order, context);
  const purchase = await buyWithWallet(ctx, order, context.walletChecks);
  // The item as read for this purchase answers for it too, unless its stock (which the purchase moved) matters.
  return { purchase, item: item.stock === null ? item : null };
}

/**
 * Every amount settlement will write must be representable before anything is charged: a pack's
 * grant times the quantity, and the recipient's balance after it (a wallet, like every amount, is a
 * safe integer). Items are refused at createItem/updateItem when their grant could overflow; this
 * holds for rows written any other way too. `held`: the recipient's balance in the granted currency,
 * read with the purchase's context (without a lock: a grant that lands meanwhile and overflows it
 * fails settlement, and recovery voids the charge).
 */
function assertGrantFits(item: CatalogItem, held: number | null, quantity: number): void {
  if (!item.grants) return;
  const granted = item.grants.amountMinor * quantity;
  if (!Number.isSafeInteger(granted))
    throw ValidationError.field('input.quantity', `makes the ${item.grants.currency} granted too large`);
  if (held === null) throw new Error(`the context of a purchase of pack ${item.id} has no balance for it`);
  if (!Number.isSafeInteger(held + granted))
    throw ValidationError.field(
      'input.quantity',
      `would take the recipient's ${item.grants.currency} balance beyond what a wallet can hold`,
    );
}

/** What createPurchase answers: the purchase, and its item when the one read for it still holds for the answer. */
export interface CreatedPurchase {
  readonly purchase: PurchaseRow;
  readonly item: CatalogItem | null;
}

interface Order {
  readonly id: string;
  readonly gameId: string;
  readonly feeBps: number;
  readonly buyerId: string;
  readonly recipientId: string;
  readonly item: CatalogItem;
  readonly quantity: number;
  readonly unitPriceMinor: number;
  readonly amountMinor: number;
  readonly currency: string;
  readonly idempotencyKey: string;
  readonly deviceId: string | null;
}

/** Thrown inside a transaction when a concurrent request inserted the same idempotency key first. */
class DuplicateKey extends Error {
  /** The winner's purchase when the refusal came with it (phase 1's function answers with it). */
  constructor(readonly existing: PurchaseRow | null = null) {
    super('duplicate idempotency key');
  }
}

function baseRow(order: Order, now: Date) {
  return {
    id: order.id,
    // The app's clock, in milliseconds, so keyset cursors (millisecond precision) never split a tie.
    createdAt: now,
    updatedAt: now,
    gameId: order.gameId,
    playerId: order.buyerId,
    recipientId: order.recipientId,
    itemId: order.item.id,
    quantity: order.quantity,
    unitPriceMinor: order.unitPriceMinor,
    amountMinor: order.amountMinor,
    currency: order.currency,
    feeBps: order.feeBps,
    idempotencyKey: order.idempotencyKey,
  };
}

/** The same key again: the same purchase, or the same typed outcome; another request under it is refused. */
async function replayExisting(
  existing: PurchaseRow,
  input: { itemId: string; quantity: number; recipientId: string; expected: Money },
): Promise<PurchaseRow> {
  const same =
    existing.itemId === input.itemId &&
    existing.quantity === input.quantity &&
    existing.recipientId === input.recipientId &&
    existing.currency === input.expected.currency &&
    existing.unitPriceMinor === input.expected.amountMinor;
  if (!same) throw new IdempotencyKeyReusedError();
  if (existing.status === 'FAILED') throw outcomeError(existing);
  return existing;
}

/** The typed error that a FAILED purchase answered with. */
function outcomeError(purchase: PurchaseRow): Error {
  if (purchase.declineCode === 'risk_blocked')
    return new RiskBlockedError(
      (purchase.riskRules ?? []).map((r) => r.rule),
      null,
    );
  return new CardDeclinedError(purchase.declineCode ?? 'generic_decline', purchase.id);
}

/**
 * A purchase of an item priced in the game's own currency, paid from the buyer's wallet: after the
 * fraud decision, one statement (wallet_purchase, wallet-purchase.ts) takes the locks, checks the
 * limits and the stock, spends from the wallet, writes the purchase and settles it, in one commit. No
 * card, no acquirer: nothing outside the database is involved.
 */
async function buyWithWallet(ctx: ServiceContext, order: Order, checks: PurchaseChecks): Promise<PurchaseRow> {
  const { db, clock } = ctx.deps;
  // Rules run on every path: no card here, but operator blocks and the player's velocity still apply.
  const risk = await assessOrder(ctx, order, null, checks);
  const now = clock.now();
  const processing = walletPurchaseRow(order, risk, now);
  // What settling it writes is computed first (the receipt, the grant, the events): the statement
  // settles it too.
  const success = await successOf(ctx, processing, null, order.item, now);
  const input = {
    purchase: { ...processing, ...riskColumns(risk) },
    riskEvent: purchaseRiskEvent(order, risk),
    item: order.item,
    now,
    receipt: success.receipt,
    grant: success.grant,
    eventsJson: success.batch.json,
  };
  let result: WalletPurchaseResult;
  try {
    result = await runWalletPurchase(db, input).catch((error: unknown) => {
      // a writer that does not take the player's lock won the key: the statement rolled back
      throw isIdempotencyKeyViolation(error) ? new DuplicateKey() : error;
    });
    if (result.outcome === 'duplicate') throw new DuplicateKey(result.purchase);
    if ((result.outcome !== 'created' && result.outcome !== 'settle_failed') || !result.purchase)
      throw walletPurchaseRefusal(result, { item: order.item, currency: order.currency });
  } catch (error) {
    return afterFailedInsert(ctx, order, error);
  }
  const created = result.purchase;
  if (created.status === 'FAILED') return blockedOutcome(ctx, created, risk);
  if (result.outcome === 'settle_failed')
    // Spent and PROCESSING, as after a phase 3 that failed: recovery settles it.
    throw settlementPending(ctx, created, new Error(result.error ?? 'settling the wallet purchase failed'));
  await afterSuccess(ctx, created, success, result.events);
  return created;
}

/** The PROCESSING row a wallet purchase is inserted as (successOf builds its success from it). */
function walletPurchaseRow(order: Order, risk: PurchaseAssessment, now: Date): PurchaseRow {
  return {
    ...baseRow(order, now),
    ...riskColumns(risk),
    feeMinor: null,
    refundedOrPendingMinor: 0,
    refundPendingMinor: 0,
    status: 'PROCESSING',
    path: 'wallet',
    actionReason: null,
    cardId: null,
    chargeAttempt: 1,
    attemptWithCvc: false,
    acquirerChargeId: null,
    declineCode: null,
    receipt: null,
    expiresAt: null,
    processingAt: now,
    recoveryLeaseUntil: null,
    recoveryAttempts: 0,
    failureReason: null,
    stockHoldUntil: null,
    stockReleased: false,
    succeededAt: null,
  };
}

/**
 * Why a card purchase outside the one-tap allowance waits for the player, in the order the pay sheet
 * explains it: the player asked to be asked every time, another currency, above the one-tap maximum,
 * or today's one-tap buys reached the daily cap.
 */
export function confirmationCause(
  allowance: { oneTapMax: { amountMinor: number; currency: string }; dailyCap: { amountMinor: number } },
  order: { amountMinor: number; currency: string },
): 'always_ask' | 'currency' | 'one_tap_max' | 'daily_cap' {
  if (allowance.oneTapMax.amountMinor === 0 || allowance.dailyCap.amountMinor === 0) return 'always_ask';
  if (allowance.oneTapMax.currency !== order.currency) return 'currency';
  if (order.amountMinor > allowance.oneTapMax.amountMinor) return 'one_tap_max';
  return 'daily_cap';
}

/**
 * The card path. Its answer's item is the one read before phase 1, with the stock phase 1 left when
 * the item has one (null, to be read again, when that is not known: a purchase found under its key).
 */
async function buyWithCard(ctx: ServiceContext, order: Order, context: PurchaseContext): Promise<CreatedPurchase> {
  const { db, clock, config } = ctx.deps;
  const { card, authorization } = context;
  if (!card) throw new NoCardOnFileError();
  if (!authorization) throw new NotFoundError('Game authorization');
  const now = clock.now();

  // Every attempt is assessed and counted, one tap or not: a purchase waiting for confirmation takes
  // stock too, so blocks and velocity must stop it before phase 1 (it is assessed again, and counted
  // once, when the player confirms).
  const risk = await assessOrder(ctx, order, card, context.cardChecks);

  // Phase 1 in one round trip (phase-one.ts): locks, limits, the allowance, stock, the purchase and its risk event.
  const phaseOne = {
    purchase: {
      ...baseRow(order, now),
      ...riskColumns(risk),
      cardId: card.cardId,
      // Why the player is asked when outside the allowance, for the pay sheet (Purchase.confirmationReason).
      confirmationReason: confirmationCause(authorization, order),
      expiresAt: new Date(now.getTime() + config.PURCHASE_CONFIRMATION_TTL),
      stockHoldUntil: stockHoldUntil(now, config),
    },
    riskEvent: purchaseRiskEvent(order, risk),
    item: order.item,
    allowance: authorization,
    maxUnconfirmed: config.PURCHASE_MAX_UNCONFIRMED,
    now,
  };
  let created: PurchaseRow;
  let item: CatalogItem | null;
  try {
    const result = await runPhaseOne(db, phaseOne).catch((error: unknown) => {
      // a writer that does not take the player's lock won the key: the function rolled back
      throw isIdempotencyKeyViolation(error) ? new DuplicateKey() : error;
    });
    if (result.outcome === 'duplicate') throw new DuplicateKey(result.purchase);
    if (result.outcome !== 'created' || !result.purchase) throw phaseOneRefusal(result, phaseOne);
    created = result.purchase;
    item = stockLeft(order.item, result.detail);
  } catch (error) {
    return { purchase: await afterFailedInsert(ctx, order, error), item: null };
  }

  if (created.status === 'FAILED') return blockedOutcome(ctx, created, risk);
  if (created.status !== 'PROCESSING') {
    // waiting for the player in the pay sheet (REQUIRES_CONFIRMATION, REQUIRES_ACTION)
    ctx.deps.metrics.purchase(created.status, created.path);
    await publishPurchaseUpdate(ctx.deps, created.id);
    return { purchase: created, item };
  }
  const settled = await chargeAndSettle(ctx, created, card, { item: order.item });
  if (settled.status === 'FAILED') throw outcomeError(settled);
  return { purchase: settled, item };
}

/** The item with the stock phase 1 left (its `detail` on created), or null when that is not known. */
function stockLeft(item: CatalogItem, left: number | null): CatalogItem | null {
  if (item.stock === null) return item;
  return left === null ? null : { ...item, stock: left };
}

/** The fraud rules for this order (operator blocks, then velocity), counting it under its purchase id. */
function assessOrder(
  ctx: ServiceContext,
  order: Order,
  card: { cardId: string; fingerprint: string; createdAt: Date } | null,
  checks: PurchaseChecks,
): Promise<PurchaseAssessment> {
  return assessPurchase(ctx, {
    purchaseId: order.id,
    gameId: order.gameId,
    playerId: order.buyerId,
    cardId: card?.cardId ?? null,
    cardFingerprint: card?.fingerprint ?? null,
    cardAddedAt: card?.createdAt ?? null,
    amountMinor: order.amountMinor,
    currency: order.currency,
    ip: ctx.ip,
    deviceId: order.deviceId,
    checks,
  });
}

/** The purchase's risk event, as both paths record it beside the purchase. */
function purchaseRiskEvent(order: Order, risk: PurchaseAssessment) {
  return riskEventRecord({
    gameId: order.gameId,
    playerId: order.buyerId,
    purchaseId: order.id,
    kind: 'purchase',
    ...risk,
  });
}

function riskColumns(risk: PurchaseAssessment) {
  return { riskDecision: risk.decision, riskScore: risk.score, riskRules: [...risk.rulesFired] };
}

async function blockedOutcome(ctx: ServiceContext, created: PurchaseRow, risk: PurchaseAssessment): Promise<never> {
  ctx.deps.metrics.purchase('FAILED', created.path);
  ctx.deps.metrics.decline('risk_blocked');
  await publishPurchaseUpdate(ctx.deps, created.id);
  throw new RiskBlockedError(
    risk.rulesFired.map((r) => r.rule),
    risk.retryAfterSeconds,
  );
}

/**
 * Phase 1 did not write this order: a concurrent request won the key (answer with its purchase), or
 * a check refused it. Either way the amount the assessment counted goes back to the daily total.
 */
async function afterFailedInsert(ctx: ServiceContext, order: Order, error: unknown): Promise<PurchaseRow> {
  await releasePurchaseAmount(ctx, { playerId: order.buyerId, purchaseId: order.id, currency: order.currency }).catch(
    (releaseError: unknown) =>
      ctx.deps.logger.warn({ err: releaseError, purchaseId: order.id }, 'could not give back an unused amount'),
  );
  if (error instanceof DuplicateKey) return replayAfterRace(ctx, order, error.existing);
  throw error;
}

/** A concurrent request with the same key won the insert: answer with its purchase. */
async function replayAfterRace(ctx: ServiceContext, order: Order, winner: PurchaseRow | null): Promise<PurchaseRow> {
  const existing =
    winner ?? (await findByIdempotencyKey(ctx.deps.db, order.gameId, order.buyerId, order.idempotencyKey));
  if (!existing) throw new Error('idempotency conflict without a row');
  return replayExisting(existing, {
    itemId: order.item.id,
    quantity: order.quantity,
    recipientId: order.recipientId,
    expected: { amountMinor: order.unitPriceMinor, currency: order.currency },
  });
}

export { findPurchase };
