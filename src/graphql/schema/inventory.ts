import { builder } from '../builder.js';
import { COMMON_ERRORS } from '../errors.js';
import {
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  InsufficientQuantityError,
} from '../../shared/errors.js';
import { consumeItem, consumeItemInput, getInventory, type InventoryEntryView } from '../../modules/inventory/index.js';
import { parseInput } from '../../shared/validation.js';
import { PlayerRef } from './accounts.js';
import { ItemRef } from './catalog.js';
import { decodeId } from '../relay.js';

export const InventoryEntryRef = builder.objectRef<InventoryEntryView>('InventoryEntry').implement({
  description: 'What a player holds of an item in a game.',
  fields: (t) => ({
    item: t.field({ type: ItemRef, description: 'The item held.', resolve: (entry) => entry.itemId }),
    quantity: t.exposeInt('quantity', { description: 'Units held; a DURABLE is 1.' }),
    player: t.field({ type: PlayerRef, description: 'Who holds it.', resolve: (entry) => entry.playerId }),
    updatedAt: t.expose('updatedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the quantity last changed (a purchase, a refund or consumeItem).',
    }),
  }),
});

builder.queryField('inventory', (t) =>
  t.field({
    type: [InventoryEntryRef],
    description:
      "A player's items in a game (quantity above zero). A player's game token or session: their own; the game's secret key, its developer or an operator: name the player with playerId.",
    args: {
      gameId: t.arg.id({ required: true, description: 'The game whose items to list (gam_…).' }),
      playerId: t.arg.id({
        description:
          "Whose items (ply_…): required with the secret key, a developer or operator token; a player's own credentials need none.",
      }),
    },
    authScopes: { authenticated: true },
    resolve: (_root, { gameId, playerId }, ctx) =>
      getInventory(
        ctx.service,
        decodeId('Game', gameId, 'gameId'),
        playerId == null ? null : decodeId('Player', playerId, 'playerId'),
      ),
  }),
);

const ConsumeItemInput = builder.inputType('ConsumeItemInput', {
  description: 'Units of a consumable to use up in play.',
  fields: (t) => ({
    playerId: t.id({
      description: "Whose units: required with the secret key; a player's game token uses up its own player's.",
    }),
    itemId: t.id({ required: true, description: 'A CONSUMABLE item of the game.' }),
    quantity: t.int({ required: true, description: 'Units to use up, at least 1.' }),
    idempotencyKey: t.string({ required: true, description: 'A retry with the same key consumes once.' }),
  }),
});

const ConsumeItemPayload = builder.objectRef<{ entry: InventoryEntryView }>('ConsumeItemPayload').implement({
  description: 'What the player holds of the item after it was used.',
  fields: (t) => ({
    entry: t.field({ type: InventoryEntryRef, description: 'The units left.', resolve: (p) => p.entry }),
  }),
});

builder.mutationField('consumeItem', (t) =>
  t.field({
    type: ConsumeItemPayload,
    description:
      "Uses up units of a consumable a player holds (the game's secret key, or the player's own game token); never below zero.",
    args: {
      input: t.arg({
        type: ConsumeItemInput,
        required: true,
        description: 'Which consumable item to use up, how many units, whose, and an idempotency key.',
      }),
    },
    authScopes: { gameSecret: true, playerGame: true },
    errors: {
      types: [...COMMON_ERRORS, InsufficientQuantityError, IdempotencyKeyReusedError, IdempotencyInProgressError],
      directResult: true,
    },
    resolve: async (_root, { input }, ctx) => ({
      entry: await consumeItem(
        ctx.service,
        parseInput(consumeItemInput, {
          ...input,
          playerId: input.playerId == null ? null : decodeId('Player', input.playerId, 'input.playerId'),
          itemId: decodeId('Item', input.itemId, 'input.itemId'),
        }),
      ),
    }),
  }),
);
