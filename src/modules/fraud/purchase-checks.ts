import { eq, sql } from 'drizzle-orm';
import type { Settings } from '../../shared/settings.js';
import type { Database } from '../../db/client.js';
import { preparedStatement } from '../../db/prepared.js';
import { blockedCardFingerprints, cards, playerBlocks, purchases, riskSettings } from '../../db/schema/index.js';
import { isUuid } from '../../shared/ids.js';
import { effectiveSettings, type EffectiveRiskSettings } from './settings.js';

/** Matches no row: stands in for an id that is not a uuid (nothing can be stored under it). */
const NO_ID = '00000000-0000-0000-0000-000000000000';

/** A purchase that charged the card: address, device and shared-card counts never block that card again. */
export const PAID_STATUSES = sql.raw(`('SUCCEEDED', 'REFUNDED', 'PARTIALLY_REFUNDED')`);

// Every charge reads the game's settings, both operator blocks and whether the player's card has
// paid before: one prepared statement, one round trip (the player's purchases index finds the payments).
const purchaseChecks = preparedStatement((executor) =>
  executor
    .select({
      settings: riskSettings,
      playerBlocked: sql<boolean>`exists (select 1 from ${playerBlocks} where ${playerBlocks.playerId} = ${sql.placeholder('playerId')} and ${playerBlocks.liftedAt} is null)`,
      cardBlocked: sql<boolean>`exists (select 1 from ${blockedCardFingerprints} where ${blockedCardFingerprints.fingerprint} = ${sql.placeholder('fingerprint')} and ${blockedCardFingerprints.liftedAt} is null)`,
      cardHasPaid: sql<boolean>`exists (select 1 from ${purchases} join ${cards} on ${cards.id} = ${purchases.cardId} where ${purchases.playerId} = ${sql.placeholder('playerId')} and ${cards.fingerprint} = ${sql.placeholder('fingerprint')} and ${purchases.status} in ${PAID_STATUSES})`,
    })
    .from(sql`(select 1) as one`)
    .leftJoin(riskSettings, eq(riskSettings.gameId, sql.placeholder('gameId')))
    .prepare('fraud_purchase_checks'),
);

export interface PurchaseChecks {
  readonly settings: EffectiveRiskSettings;
  readonly blocks: { readonly player: boolean; readonly card: boolean };
  /** Whether the player's card (by fingerprint) already has successful charges with Coinslot. */
  readonly cardHasPaid: boolean;
}

/** A game's effective risk settings, the operator blocks on a player and a card, and whether the card paid before, in one query. */
export async function loadPurchaseChecks(
  db: Database,
  config: Pick<Settings, 'RISK_DAILY_CAPS' | 'RISK_NEW_CARD_AMOUNTS'>,
  input: { gameId: string; playerId: string; fingerprint: string | null },
): Promise<PurchaseChecks> {
  const [row] = await purchaseChecks(db).execute({
    gameId: isUuid(input.gameId) ? input.gameId : NO_ID,
    playerId: isUuid(input.playerId) ? input.playerId : NO_ID,
    fingerprint: input.fingerprint ?? '',
  });
  return purchaseChecksFrom(config, input.gameId, row ?? null);
}

/** What loadPurchaseChecks reads, as another statement may read it with the purchase's other context. */
export interface PurchaseChecksRow {
  readonly settings: typeof riskSettings.$inferSelect | null;
  readonly playerBlocked: boolean;
  /** Whether the card charged (by fingerprint) is blocked; false when no card is charged. */
  readonly cardBlocked: boolean;
  /** Whether the card charged paid before; false when no card is charged. */
  readonly cardHasPaid: boolean;
}

/** The checks of a purchase from their row: the game's effective settings, the blocks, whether the card paid. */
export function purchaseChecksFrom(
  config: Pick<Settings, 'RISK_DAILY_CAPS' | 'RISK_NEW_CARD_AMOUNTS'>,
  gameId: string,
  row: PurchaseChecksRow | null,
): PurchaseChecks {
  return {
    settings: effectiveSettings(config, gameId, row?.settings ?? null),
    blocks: { player: row?.playerBlocked === true, card: row?.cardBlocked === true },
    cardHasPaid: row?.cardHasPaid === true,
  };
}

// A player with a card that paid is not a fresh account: card testing from their address does not refuse their cards.
const paidByPlayer = preparedStatement((executor) =>
  executor
    .select({
      paid: sql<boolean>`exists (select 1 from ${purchases} where ${purchases.playerId} = ${sql.placeholder('playerId')} and ${purchases.cardId} is not null and ${purchases.status} in ${PAID_STATUSES})`,
    })
    .from(sql`(select 1) as one`)
    .prepare('fraud_player_has_paid'),
);

/** Whether the player has paid with a card on Coinslot before. */
export async function playerHasPaid(db: Database, playerId: string): Promise<boolean> {
  if (!isUuid(playerId)) return false;
  const [row] = await paidByPlayer(db).execute({ playerId });
  return row?.paid === true;
}
