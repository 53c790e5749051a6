// The cards module: cards on file (acquirer tokens, never numbers), the default card, and what purchases and fraud read.
export { addCard, MAX_CARDS_PER_PLAYER, type AddCardInput } from './add-card.js';
export { removeCard } from './remove-card.js';
export { setDefaultCard } from './set-default-card.js';
export {
  listCards,
  getCardsByIds,
  getDefaultCardPreview,
  cardsAddedSince,
  type CardPreview,
  type AddedCard,
} from './list-cards.js';
export { getCardForCharge, getCardLabels, toChargeableCard, type ChargeableCard } from './get-card-for-charge.js';
export { cardFingerprint } from './fingerprint.js';
export type { Card } from './card-rows.js';
