import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Executor, Transaction } from '../../db/client.js';
import { cards } from '../../db/schema/index.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import type { ServiceContext } from '../service-context.js';

export type CardRow = typeof cards.$inferSelect;

/** What a card looks like outside the module: everything but the acquirer token and the fingerprint. */
export type Card = Omit<CardRow, 'acquirerToken' | 'fingerprint'>;

/** Drops the acquirer token and the fingerprint. */
export function publicCard(row: CardRow): Card {
  const { acquirerToken: _token, fingerprint: _fingerprint, ...card } = row;
  return card;
}

/** The calling player's id; only a player's own Coinslot session manages cards (never a game token). */
export function requirePlayerSession(ctx: ServiceContext): string {
  const { principal } = ctx;
  if (principal.kind === 'player') return principal.playerId;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  throw new ForbiddenError('Only the player, signed in to Coinslot, may do this.');
}

/** Serialises card changes of one player (default flag, duplicates) for the rest of the transaction. */
export async function lockPlayerCards(tx: Transaction, playerId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`cards:${playerId}`}, 0))`);
}

/** One of the player's active cards, or NotFound (another player's card is not found either). */
export async function findActiveCard(executor: Executor, playerId: string, cardId: string): Promise<CardRow> {
  if (!isUuid(cardId)) throw new NotFoundError('Card');
  const [row] = await executor
    .select()
    .from(cards)
    .where(and(eq(cards.id, cardId), eq(cards.playerId, playerId), isNull(cards.removedAt)))
    .limit(1);
  if (!row) throw new NotFoundError('Card');
  return row;
}

/** Makes `cardId` the player's only default card; call under lockPlayerCards. */
export async function makeDefaultCard(tx: Transaction, playerId: string, cardId: string): Promise<CardRow> {
  // Clear first: the partial unique index allows one default per player at any instant.
  await tx
    .update(cards)
    .set({ isDefault: false })
    .where(and(eq(cards.playerId, playerId), eq(cards.isDefault, true)));
  const [row] = await tx.update(cards).set({ isDefault: true }).where(eq(cards.id, cardId)).returning();
  return row as CardRow;
}

/** The player's newest active card, or null. */
export async function newestActiveCard(executor: Executor, playerId: string): Promise<CardRow | null> {
  const [row] = await executor
    .select()
    .from(cards)
    .where(and(eq(cards.playerId, playerId), isNull(cards.removedAt)))
    .orderBy(desc(cards.createdAt), desc(cards.id))
    .limit(1);
  return row ?? null;
}
