import type { ServiceContext } from '../service-context.js';
import {
  findActiveCard,
  lockPlayerCards,
  makeDefaultCard,
  publicCard,
  requirePlayerSession,
  type Card,
} from './card-rows.js';

/** Makes one of the player's cards the default (the card one-tap purchases charge). */
export async function setDefaultCard(ctx: ServiceContext, input: { cardId: string }): Promise<Card> {
  const playerId = requirePlayerSession(ctx);
  const card = await ctx.deps.db.transaction(async (tx) => {
    await lockPlayerCards(tx, playerId);
    const found = await findActiveCard(tx, playerId, input.cardId);
    return found.isDefault ? found : makeDefaultCard(tx, playerId, found.id);
  });
  return publicCard(card);
}
