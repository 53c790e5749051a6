import { builder } from '../builder.js';
import { COMMON_ERRORS, orNotFound } from '../errors.js';
import { CardDeclinedError, CardInvalidError, LimitReachedError, RiskBlockedError } from '../../shared/errors.js';
import {
  addCard,
  getCardsByIds,
  getDefaultCardPreview,
  listCards,
  removeCard,
  setDefaultCard,
  type Card,
  type CardPreview,
} from '../../modules/cards/index.js';
import { ViewerRef } from './accounts.js';
import { decodeId } from '../relay.js';

export const CardRef = builder.loadableNodeRef('Card', {
  id: { resolve: (card: Card) => card.id },
  // Only the owning player's own session loads a card; anyone else is told it does not exist.
  load: (ids: string[], ctx) => getCardsByIds(ctx.service, ids).then(orNotFound('Card')),
  sort: (card) => card.id,
});

CardRef.implement({
  description: 'A card on file. Coinslot keeps no card number: only what identifies the card to its owner.',
  fields: (t) => ({
    brand: t.exposeString('brand', { description: 'visa, mastercard, american-express, discover…' }),
    last4: t.exposeString('last4', { description: 'The last four digits of the card number.' }),
    expMonth: t.exposeInt('expMonth', { description: 'Expiry month, 1 to 12.' }),
    expYear: t.exposeInt('expYear', { description: 'Expiry year, four digits.' }),
    holderName: t.exposeString('holderName', { description: 'The name on the card, as the player typed it.' }),
    isDefault: t.exposeBoolean('isDefault', { description: 'The card one-tap purchases charge.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the player added it.' }),
  }),
});

/** What a game may show on its shop screen (prefill): the brand and last four digits, nothing more. */
export const CardPreviewRef = builder.objectRef<CardPreview>('CardPreview').implement({
  description: "The brand and last four digits of a player's default card.",
  fields: (t) => ({
    brand: t.exposeString('brand', { description: 'visa, mastercard, american-express, discover…' }),
    last4: t.exposeString('last4', { description: 'The last four digits of the card number.' }),
  }),
});

// A plain list: a player keeps at most MAX_CARDS_PER_PLAYER (20) cards, so there is nothing to page.
builder.objectField(ViewerRef, 'cards', (t) =>
  t.field({
    type: [CardRef],
    description: "The signed-in player's cards on file, oldest first (at most 20).",
    authScopes: { player: true },
    resolve: (_principal, _args, ctx) => listCards(ctx.service),
  }),
);

builder.objectField(ViewerRef, 'defaultCard', (t) =>
  t.field({
    type: CardPreviewRef,
    nullable: true,
    description: "The player's default card, for the player or a game acting for the player (prefill); null when none.",
    authScopes: { $any: { player: true, playerGame: true } },
    resolve: (_principal, _args, ctx) => getDefaultCardPreview(ctx.service),
  }),
);

const AddCardInput = builder.inputType('AddCardInput', {
  description: 'A card as the player typed it. The number and CVC go to the acquirer once and are never stored.',
  fields: (t) => ({
    number: t.string({ required: true, description: '12 to 19 digits; spaces and dashes are allowed.' }),
    expMonth: t.int({ required: true, description: '1 to 12.' }),
    expYear: t.int({ required: true, description: 'Four digits, e.g. 2030.' }),
    cvc: t.string({ required: true, description: '3 digits, 4 for American Express.' }),
    holderName: t.string({ required: true, description: 'As printed on the card, 1 to 100 characters.' }),
    makeDefault: t.boolean({ description: 'Make it the default card (the first card always is).' }),
    deviceId: t.string({ description: 'A stable id of the device, for the card-testing rules.' }),
  }),
});
const CardIdInput = (name: string) =>
  builder.inputType(name, {
    description: 'One of the signed-in player’s cards.',
    fields: (t) => ({ cardId: t.id({ required: true, description: 'The card (crd_…), from viewer.cards.' }) }),
  });

const cardPayload = (name: string, description: string) =>
  builder.objectRef<{ card: Card }>(name).implement({
    description: 'The card the mutation acted on.',
    fields: (t) => ({ card: t.field({ type: CardRef, description, resolve: (p) => p.card }) }),
  });
const AddCardPayload = cardPayload(
  'AddCardPayload',
  'The card on file (the one already there when the same card was added before).',
);
const RemoveCardPayload = cardPayload('RemoveCardPayload', 'The removed card.');
const SetDefaultCardPayload = cardPayload('SetDefaultCardPayload', 'The new default card.');

builder.mutationField('addCard', (t) =>
  t.field({
    type: AddCardPayload,
    description: 'Verifies a card at the acquirer and keeps it on file for the signed-in player.',
    args: {
      input: t.arg({
        type: AddCardInput,
        required: true,
        description:
          "The card's number, expiry, CVC and holder name; the number and CVC go to the acquirer and are never stored.",
      }),
    },
    authScopes: { player: true },
    errors: {
      types: [...COMMON_ERRORS, CardInvalidError, CardDeclinedError, LimitReachedError, RiskBlockedError],
      directResult: true,
    },
    resolve: async (_root, { input }, ctx) => ({ card: await addCard(ctx.service, input) }),
  }),
);
builder.mutationField('removeCard', (t) =>
  t.field({
    type: RemoveCardPayload,
    description: 'Removes a card; when it was the default, the newest remaining card becomes the default.',
    args: {
      input: t.arg({
        type: CardIdInput('RemoveCardInput'),
        required: true,
        description: 'The card to remove (crd_…).',
      }),
    },
    authScopes: { player: true },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      card: await removeCard(ctx.service, { cardId: decodeId('Card', input.cardId, 'input.cardId') }),
    }),
  }),
);
builder.mutationField('setDefaultCard', (t) =>
  t.field({
    type: SetDefaultCardPayload,
    description: 'Makes one of the signed-in player’s cards the one one-tap purchases charge.',
    args: {
      input: t.arg({
        type: CardIdInput('SetDefaultCardInput'),
        required: true,
        description: 'The card to make the default (crd_…).',
      }),
    },
    authScopes: { player: true },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      card: await setDefaultCard(ctx.service, { cardId: decodeId('Card', input.cardId, 'input.cardId') }),
    }),
  }),
);
