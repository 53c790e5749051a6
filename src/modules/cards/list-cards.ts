import { and, asc, eq, gte, inArray, isNull } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { cards } from '../../db/schema/index.js';
import { isUuid } from '../../shared/ids.js';
import type { ServiceContext } from '../service-context.js';
import { publicCard, requirePlayerSession, type Card } from './card-rows.js';

/** The signed-in player's cards on file, oldest first. */
export async function listCards(ctx: ServiceContext): Promise<Card[]> {
  const playerId = requirePlayerSession(ctx);
  const rows = await ctx.deps.db
    .select()
    .from(cards)
    .where(and(eq(cards.playerId, playerId), isNull(cards.removedAt)))
    .orderBy(asc(cards.createdAt), asc(cards.id));
  return rows.map(publicCard);
}

/** Cards by id for the dataloader of Card nodes: only the signed-in player's own (removed ones too); null elsewhere. */
export async function getCardsByIds(ctx: ServiceContext, ids: readonly string[]): Promise<(Card | null)[]> {
  if (ctx.principal.kind !== 'player') return ids.map(() => null);
  const wanted = [...new Set(ids.filter(isUuid))];
  const rows = wanted.length
    ? await ctx.deps.db
        .select()
        .from(cards)
        .where(and(inArray(cards.id, wanted), eq(cards.playerId, ctx.principal.playerId)))
    : [];
  const byId = new Map(rows.map((r) => [r.id, publicCard(r)]));
  return ids.map((id) => byId.get(id) ?? null);
}

/** What a game may show on its shop screen: the brand and last four digits of the default card. */
export interface CardPreview {
  readonly brand: string;
  readonly last4: string;
}

/**
 * The player's default card as a preview, for the player's own session or a game token acting for
 * the player (prefill); null for anyone else or when there is no card.
 */
export async function getDefaultCardPreview(ctx: ServiceContext): Promise<CardPreview | null> {
  const { principal } = ctx;
  if (principal.kind !== 'player' && principal.kind !== 'player_game') return null;
  const [row] = await ctx.deps.db
    .select({ brand: cards.brand, last4: cards.last4 })
    .from(cards)
    .where(and(eq(cards.playerId, principal.playerId), eq(cards.isDefault, true)))
    .limit(1);
  return row ?? null;
}

/** A card added by the player, for fraud rules (new-card and distinct-card velocity). */
export interface AddedCard {
  readonly cardId: string;
  readonly fingerprint: string;
  readonly createdAt: Date;
  readonly removed: boolean;
}

/** The cards the player added at or after `since` (removed ones included), oldest first. */
export async function cardsAddedSince(executor: Executor, playerId: string, since: Date): Promise<AddedCard[]> {
  if (!isUuid(playerId)) return [];
  const rows = await executor
    .select({
      cardId: cards.id,
      fingerprint: cards.fingerprint,
      createdAt: cards.createdAt,
      removedAt: cards.removedAt,
    })
    .from(cards)
    .where(and(eq(cards.playerId, playerId), gte(cards.createdAt, since)))
    .orderBy(asc(cards.createdAt), asc(cards.id));
  return rows.map(({ removedAt, ...row }) => ({ ...row, removed: removedAt !== null }));
}
