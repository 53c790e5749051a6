import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { preparedStatement, type Param } from '../../db/prepared.js';
import { cards } from '../../db/schema/index.js';
import { NoCardOnFileError, NotFoundError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';

/** What the purchases module needs to charge a card, and to show it (brand, last4). */
export interface ChargeableCard {
  readonly cardId: string;
  readonly playerId: string;
  /** The acquirer's token (`tok_…`): pass it to Acquirer.charge; never show it. */
  readonly acquirerToken: string;
  readonly brand: string;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
  /** The keyed fingerprint, for fraud rules (distinct players per card). */
  readonly fingerprint: string;
  readonly createdAt: Date;
}

/** The player's active card `cardId`, or their default card when it is null. */
const cardQuery = (executor: Executor, playerId: Param<string>, cardId: string | null) =>
  executor
    .select()
    .from(cards)
    .where(
      and(
        eq(cards.playerId, playerId),
        isNull(cards.removedAt),
        cardId === null ? eq(cards.isDefault, true) : eq(cards.id, cardId),
      ),
    )
    .limit(1);
// Every one-tap purchase reads the player's default card: prepared.
const defaultCardOf = preparedStatement((db) =>
  cardQuery(db, sql.placeholder('playerId'), null).prepare('cards_default_card_of_player'),
);

/**
 * The card to charge for a player: the given active card of that player, or the default card when
 * `cardId` is null. Another player's card, a removed card or a malformed id → NotFoundError('Card');
 * no card at all → NoCardOnFileError. Runs on the executor given (the purchase's transaction).
 */

export async function getCardForCharge(
  executor: Executor,
  playerId: string,
  cardId: string | null,
): Promise<ChargeableCard> {
  if (cardId !== null && !isUuid(cardId)) throw new NotFoundError('Card');
  if (!isUuid(playerId)) throw new NoCardOnFileError();
  const [row] =
    cardId === null ? await defaultCardOf(executor).execute({ playerId }) : await cardQuery(executor, playerId, cardId);
  if (!row) throw cardId === null ? new NoCardOnFileError() : new NotFoundError('Card');
  return toChargeableCard(row);
}

/** A card row as the purchases module charges it (for a row read with the purchase's other context). */
export function toChargeableCard(row: typeof cards.$inferSelect): ChargeableCard {
  return {
    cardId: row.id,
    playerId: row.playerId,
    acquirerToken: row.acquirerToken,
    brand: row.brand,
    last4: row.last4,
    expMonth: row.expMonth,
    expYear: row.expYear,
    fingerprint: row.fingerprint,
    createdAt: row.createdAt,
  };
}

/** Brand and last4 of cards by id, removed ones included (purchases show the card they charged); null where absent. */
export async function getCardLabels(
  executor: Executor,
  cardIds: readonly string[],
): Promise<({ cardId: string; brand: string; last4: string } | null)[]> {
  const wanted = [...new Set(cardIds.filter(isUuid))];
  const rows = wanted.length
    ? await executor
        .select({ cardId: cards.id, brand: cards.brand, last4: cards.last4 })
        .from(cards)
        .where(inArray(cards.id, wanted))
    : [];
  const byId = new Map(rows.map((r) => [r.cardId, r]));
  return cardIds.map((id) => byId.get(id) ?? null);
}
