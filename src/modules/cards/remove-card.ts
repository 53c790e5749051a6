import { eq } from 'drizzle-orm';
import { cards } from '../../db/schema/index.js';
import type { ServiceContext } from '../service-context.js';
import {
  findActiveCard,
  lockPlayerCards,
  makeDefaultCard,
  newestActiveCard,
  publicCard,
  requirePlayerSession,
  type Card,
} from './card-rows.js';

/**
 * Removes one of the player's cards (kept as a removed row for past purchases). When it was the
 * default, the newest remaining card becomes the default. Returns the removed card.
 */
export async function removeCard(ctx: ServiceContext, input: { cardId: string }): Promise<Card> {
  const playerId = requirePlayerSession(ctx);
  const removed = await ctx.deps.db.transaction(async (tx) => {
    await lockPlayerCards(tx, playerId);
    const card = await findActiveCard(tx, playerId, input.cardId);
    const [row] = await tx
      .update(cards)
      .set({ removedAt: ctx.deps.clock.now(), isDefault: false })
      .where(eq(cards.id, card.id))
      .returning();
    if (card.isDefault) {
      const next = await newestActiveCard(tx, playerId);
      if (next) await makeDefaultCard(tx, playerId, next.id);
    }
    return row!;
  });
  return publicCard(removed);
}
