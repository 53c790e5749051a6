import { and, eq, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/client.js';
import { preparedStatement } from '../../db/prepared.js';
import {
  blockedCardFingerprints,
  cards,
  gameAuthorizations,
  games,
  itemPrices,
  items,
  ledgerAccounts,
  playerBlocks,
  purchases,
  riskSettings,
} from '../../db/schema/index.js';
import type { Settings } from '../../shared/settings.js';
import { toAuthorization, type GameAuthorization } from '../authorizations/index.js';
import { toChargeableCard, type ChargeableCard } from '../cards/index.js';
import { toCatalogItem, type CatalogItem } from '../catalog/index.js';
import { PAID_STATUSES, purchaseChecksFrom, type PurchaseChecks } from '../fraud/index.js';
import type { GameRow } from '../games/index.js';
import type { PurchaseRow } from './purchase-row.js';

/** Everything createPurchase reads before phase 1, read together. */
export interface PurchaseContext {
  /** The purchase already made under this idempotency key by this buyer in this game (the database backstop). */
  readonly existing: PurchaseRow | null;
  readonly game: GameRow | null;
  /** The item of this game with its prices (null when the game has no such item); on sale or not. */
  readonly item: CatalogItem | null;
  /** The buyer's default card. */
  readonly card: ChargeableCard | null;
  /** The buyer's active authorization of the game, with the one-tap allowance. */
  readonly authorization: GameAuthorization | null;
  /** Whether the recipient (the buyer, or a gift's friend) has an active authorization of the game. */
  readonly recipientAuthorized: boolean;
  /**
   * The recipient's wallet balance in the currency the item grants (a currency pack): 0 when the
   * recipient never held it; null when the item grants no currency (or there is no item).
   */
  readonly recipientGrantBalanceMinor: number | null;
  /** The fraud rules' database checks with the default card charged. */
  readonly cardChecks: PurchaseChecks;
  /**
   * The same for a wallet purchase, which charges no card: blocked when any card the buyer keeps on
   * file is blocked; the card's history does not apply.
   */
  readonly walletChecks: PurchaseChecks;
}

const existing = alias(purchases, 'existing_purchase');
const defaultCard = alias(cards, 'default_card');
const buyerAuthorization = alias(gameAuthorizations, 'buyer_authorization');

const placeholder = sql.placeholder;

// Every purchase needs all of these before phase 1: one prepared statement, one round trip (each
// join is by a unique key, so the statement gives one row). The fraud checks are fraud's
// loadPurchaseChecks on the default card read here. The joined tables are aliased, so the subqueries
// name the plain tables without meeting them.
const contextStatement = preparedStatement((executor) =>
  executor
    .select({
      existing,
      game: games,
      item: items,
      prices: sql<
        { currency: string; amountMinor: number }[] | null
      >`(select json_agg(json_build_object('currency', ${itemPrices.currency}, 'amountMinor', ${itemPrices.amountMinor}) order by ${itemPrices.currency}) from ${itemPrices} where ${itemPrices.itemId} = ${items.id})`,
      card: defaultCard,
      authorization: buyerAuthorization,
      recipientAuthorized: sql<boolean>`exists (select 1 from ${gameAuthorizations} where ${gameAuthorizations.playerId} = ${placeholder('recipientId')} and ${gameAuthorizations.gameId} = ${placeholder('gameId')} and ${gameAuthorizations.revokedAt} is null)`,
      recipientGrantBalance: sql<
        string | number | null
      >`(case when ${items.grantsCurrency} is not null then coalesce((select ${ledgerAccounts.balanceMinor} from ${ledgerAccounts} where ${ledgerAccounts.gameId} = ${placeholder('gameId')} and ${ledgerAccounts.playerId} = ${placeholder('recipientId')} and ${ledgerAccounts.kind} = 'player_wallet' and ${ledgerAccounts.currency} = ${items.grantsCurrency}), 0) end)`,
      settings: riskSettings,
      playerBlocked: sql<boolean>`exists (select 1 from ${playerBlocks} where ${playerBlocks.playerId} = ${placeholder('playerId')} and ${playerBlocks.liftedAt} is null)`,
      cardBlocked: sql<boolean>`exists (select 1 from ${blockedCardFingerprints} where ${blockedCardFingerprints.fingerprint} = ${defaultCard.fingerprint} and ${blockedCardFingerprints.liftedAt} is null)`,
      // A wallet purchase charges no card, but currency bought with a card the operator blocked (say,
      // reported stolen) must not be spent either: any card the buyer keeps on file counts.
      heldCardBlocked: sql<boolean>`exists (select 1 from ${cards} join ${blockedCardFingerprints} on ${blockedCardFingerprints.fingerprint} = ${cards.fingerprint} and ${blockedCardFingerprints.liftedAt} is null where ${cards.playerId} = ${placeholder('playerId')} and ${cards.removedAt} is null)`,
      cardHasPaid: sql<boolean>`exists (select 1 from ${purchases} join ${cards} on ${cards.id} = ${purchases.cardId} where ${purchases.playerId} = ${placeholder('playerId')} and ${cards.fingerprint} = ${defaultCard.fingerprint} and ${purchases.status} in ${PAID_STATUSES})`,
    })
    .from(sql`(select 1) as one`)
    .leftJoin(
      existing,
      and(
        eq(existing.gameId, placeholder('gameId')),
        eq(existing.playerId, placeholder('playerId')),
        eq(existing.idempotencyKey, placeholder('key')),
      ),
    )
    .leftJoin(games, eq(games.id, placeholder('gameId')))
    .leftJoin(items, and(eq(items.id, placeholder('itemId')), eq(items.gameId, placeholder('gameId'))))
    .leftJoin(
      defaultCard,
      and(
        eq(defaultCard.playerId, placeholder('playerId')),
        isNull(defaultCard.removedAt),
        eq(defaultCard.isDefault, true),
      ),
    )
    .leftJoin(
      buyerAuthorization,
      and(
        eq(buyerAuthorization.playerId, placeholder('playerId')),
        eq(buyerAuthorization.gameId, placeholder('gameId')),
        isNull(buyerAuthorization.revokedAt),
      ),
    )
    .leftJoin(riskSettings, eq(riskSettings.gameId, placeholder('gameId')))
    .limit(1)
    .prepare('purchases_context'),
);

/**
 * The purchase's context in one round trip: the idempotency backstop, the game, the item and its
 * prices, the buyer's default card and authorization, the gift recipient's authorization and (for a
 * currency pack) wallet balance, and the fraud rules' blocks and settings. All ids are uuids (the caller parsed them).
 */
export async function loadPurchaseContext(
  executor: Executor,
  config: Pick<Settings, 'RISK_DAILY_CAPS' | 'RISK_NEW_CARD_AMOUNTS'>,
  input: { gameId: string; playerId: string; recipientId: string; itemId: string; idempotencyKey: string },
): Promise<PurchaseContext> {
  const [row] = await contextStatement(executor).execute({
    gameId: input.gameId,
    playerId: input.playerId,
    recipientId: input.recipientId,
    itemId: input.itemId,
    key: input.idempotencyKey,
  });
  if (!row) throw new Error('loadPurchaseContext: the statement returned no row');
  const checks = { settings: row.settings, playerBlocked: row.playerBlocked };
  return {
    existing: row.existing,
    game: row.game,
    item: row.item
      ? toCatalogItem(
          row.item,
          (row.prices ?? []).map((p) => ({ currency: p.currency, amountMinor: Number(p.amountMinor) })),
        )
      : null,
    card: row.card ? toChargeableCard(row.card) : null,
    authorization: row.authorization ? toAuthorization(row.authorization) : null,
    recipientAuthorized: row.recipientAuthorized,
    recipientGrantBalanceMinor: row.recipientGrantBalance === null ? null : Number(row.recipientGrantBalance),
    cardChecks: purchaseChecksFrom(config, input.gameId, {
      ...checks,
      cardBlocked: row.card !== null && row.cardBlocked,
      cardHasPaid: row.card !== null && row.cardHasPaid,
    }),
    walletChecks: purchaseChecksFrom(config, input.gameId, {
      ...checks,
      cardBlocked: row.heldCardBlocked,
      cardHasPaid: false,
    }),
  };
}
