import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { inventoryEvents, ledgerAccounts, ledgerEntries, ledgerTransactions } from '../../db/schema/index.js';
import { revokeItem } from '../inventory/index.js';
import type { PurchaseRow } from '../purchases/index.js';
import { clawbackWallet } from '../wallet/index.js';

/** What a purchase delivered, read from what was actually granted (the catalog item may have changed since). */
export type Entitlement =
  | { readonly kind: 'units'; readonly itemId: string; readonly units: number }
  | { readonly kind: 'currency'; readonly currency: string; readonly amountMinor: number }
  | { readonly kind: 'none' };

/** The units granted to the recipient (inventory grant event) or the currency credited (wallet_credit posting) for a purchase. */
export async function purchaseEntitlement(tx: Executor, purchase: PurchaseRow): Promise<Entitlement> {
  const [grant] = await tx
    .select({ itemId: inventoryEvents.itemId, quantity: inventoryEvents.quantity })
    .from(inventoryEvents)
    .where(
      and(
        eq(inventoryEvents.gameId, purchase.gameId),
        eq(inventoryEvents.playerId, purchase.recipientId),
        eq(inventoryEvents.kind, 'grant'),
        eq(inventoryEvents.reference, purchase.id),
      ),
    )
    .limit(1);
  if (grant) return { kind: 'units', itemId: grant.itemId, units: grant.quantity };
  const [credit] = await tx
    .select({
      currency: ledgerEntries.currency,
      total: sql<number>`sum(${ledgerEntries.amountMinor})::bigint`.mapWith(Number),
    })
    .from(ledgerTransactions)
    .innerJoin(ledgerEntries, eq(ledgerEntries.transactionId, ledgerTransactions.id))
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
    .where(
      and(
        eq(ledgerTransactions.kind, 'wallet_credit'),
        eq(ledgerTransactions.purchaseId, purchase.id),
        eq(ledgerAccounts.kind, 'player_wallet'),
        eq(ledgerAccounts.playerId, purchase.recipientId),
      ),
    )
    .groupBy(ledgerEntries.currency)
    .limit(1);
  if (credit && credit.total > 0) return { kind: 'currency', currency: credit.currency, amountMinor: credit.total };
  return { kind: 'none' };
}

/**
 * The share of `whole` that belongs back to the platform once `reversed` of `amount` was returned:
 * floor(whole × reversed / amount), and all of it at a full reversal. Computed cumulatively, so
 * the parts taken by successive refunds and disputes add up to exactly this.
 */
export function shareOf(whole: number, reversed: number, amount: number): number {
  if (reversed >= amount) return whole;
  if (reversed <= 0) return 0;
  return Number((BigInt(whole) * BigInt(reversed)) / BigInt(amount));
}

export interface ClawbackResult {
  /** Units the policy asked back and those actually taken (consumed ones stay with the player). */
  readonly unitsAsked: number;
  readonly unitsTaken: number;
  /** Currency asked back and actually taken (spent currency stays spent). */
  readonly currencyAsked: number;
  readonly currencyTaken: number;
}

/**
 * Takes back the entitlement of a refund or dispute that brings the purchase's returned money from
 * `reversedBefore` to `reversedAfter` (of `purchase.amountMinor`): the new share of its units
 * (a DURABLE, 1 unit, only at a full reversal) or of its granted currency, at most what the
 * recipient still holds. In the caller's transaction, once per reference (`key`, by default the
 * refund or dispute id).
 */
export async function clawBack(
  tx: Executor,
  purchase: PurchaseRow,
  reversedBefore: number,
  reversedAfter: number,
  reference: { readonly refundId?: string; readonly disputeId?: string; readonly key?: string },
  at: Date,
): Promise<ClawbackResult> {
  const none = { unitsAsked: 0, unitsTaken: 0, currencyAsked: 0, currencyTaken: 0 };
  const entitlement = await purchaseEntitlement(tx, purchase);
  if (entitlement.kind === 'none') return none;
  const whole = entitlement.kind === 'units' ? entitlement.units : entitlement.amountMinor;
  const asked =
    shareOf(whole, reversedAfter, purchase.amountMinor) - shareOf(whole, reversedBefore, purchase.amountMinor);
  if (asked <= 0) return none;
  const key = (reference.key ?? reference.refundId ?? reference.disputeId)!;
  if (entitlement.kind === 'units') {
    const taken = await revokeItem(tx, {
      gameId: purchase.gameId,
      playerId: purchase.recipientId,
      itemId: entitlement.itemId,
      quantity: asked,
      reference: key,
      purchaseId: purchase.id,
      at,
    });
    return { ...none, unitsAsked: asked, unitsTaken: taken };
  }
  const taken = await clawbackWallet(tx, {
    gameId: purchase.gameId,
    playerId: purchase.recipientId,
    currency: entitlement.currency,
    amountMinor: asked,
    purchaseId: purchase.id,
    refundId: reference.refundId ?? null,
    disputeId: reference.disputeId ?? null,
    reference: key,
    at,
  });
  return { ...none, currencyAsked: asked, currencyTaken: taken };
}

/** What a clawback did, as webhook payloads state it (amounts of currency as strings of minor units). */
export function clawbackEventData(clawed: ClawbackResult): Record<string, unknown> {
  return {
    units: clawed.unitsTaken,
    unitsKept: clawed.unitsAsked - clawed.unitsTaken,
    currency: String(clawed.currencyTaken),
    currencyKept: String(clawed.currencyAsked - clawed.currencyTaken),
  };
}
