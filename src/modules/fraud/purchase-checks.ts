import { eq, sql } from 'drizzle-orm';
import type { Settings } from '../../shared/settings.js';
import type { Database } from '../../db/client.js';
import { preparedStatement } from '../../db/prepared.js';
import { blockedCardFingerprints, playerBlocks, riskSettings } from '../../db/schema/index.js';
import { isUuid } from '../../shared/ids.js';
import { effectiveSettings, type EffectiveRiskSettings } from './settings.js';

/** Matches no row: stands in for an id that is not a uuid (nothing can be stored under it). */
const NO_ID = '00000000-0000-0000-0000-000000000000';

// Every charge reads the game's settings and both operator blocks: one prepared statement, one round trip.
const purchaseChecks = preparedStatement((executor) =>
  executor
    .select({
      settings: riskSettings,
      playerBlocked: sql<boolean>`exists (select 1 from ${playerBlocks} where ${playerBlocks.playerId} = ${sql.placeholder('playerId')} and ${playerBlocks.liftedAt} is null)`,
      cardBlocked: sql<boolean>`exists (select 1 from ${blockedCardFingerprints} where ${blockedCardFingerprints.fingerprint} = ${sql.placeholder('fingerprint')} and ${blockedCardFingerprints.liftedAt} is null)`,
    })
    .from(sql`(select 1) as one`)
    .leftJoin(riskSettings, eq(riskSettings.gameId, sql.placeholder('gameId')))
    .prepare('fraud_purchase_checks'),
);

export interface PurchaseChecks {
  readonly settings: EffectiveRiskSettings;
  readonly blocks: { readonly player: boolean; readonly card: boolean };
}

/** A game's effective risk settings and the operator blocks on a player and a card, in one query. */
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
  return {
    settings: effectiveSettings(config, input.gameId, row?.settings ?? null),
    blocks: { player: row?.playerBlocked === true, card: row?.cardBlocked === true },
  };
}
