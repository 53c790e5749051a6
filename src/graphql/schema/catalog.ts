import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { builder } from '../builder.js';
import { COMMON_ERRORS, ErrorInterface, orNotFound } from '../errors.js';
import { MoneyInputRef, MoneyRef } from '../scalars.js';
import {
  archiveItem,
  CATALOG_PAGE_MAX,
  createItem,
  createItemInput,
  getCatalog,
  getItemsByIds,
  isOnSale,
  type ITEM_KINDS,
  listGameItems,
  SkuTakenError,
  updateItem,
  updateItemInput,
  type CatalogItem,
} from '../../modules/catalog/index.js';
import { GameRef } from './games.js';
import { decodeId, encodeCursor, keysetPage } from '../relay.js';
import { ValidationError } from '../../shared/errors.js';
import { parseInput } from '../../shared/validation.js';

export const ItemKindEnum = builder.enumType('ItemKind', {
  values: {
    CONSUMABLE: {
      description: 'Bought in any quantity and used up in play (consumeItem), such as potions or extra lives.',
    },
    DURABLE: { description: 'Owned once and kept for good, such as a skin or a level unlock.' },
    CURRENCY_PACK: { description: "Credits its `grants` amount of a game currency to the player's wallet." },
  } satisfies Record<(typeof ITEM_KINDS)[number], { description: string }>,
  description: 'CONSUMABLE is used up, DURABLE is kept, CURRENCY_PACK credits a game currency to the wallet.',
});

export const ItemRef = builder.loadableNodeRef('Item', {
  id: { resolve: (item: CatalogItem) => item.id },
  load: (ids: string[], ctx) => getItemsByIds(ctx.service, ids).then(orNotFound('Item')),
  sort: (item) => item.id,
});

ItemRef.implement({
  description: 'Something a game sells.',
  fields: (t) => ({
    game: t.field({ type: GameRef, description: 'The game that sells it.', resolve: (item) => item.gameId }),
    sku: t.exposeString('sku', { description: "The developer's own code for the item, unique in the game." }),
    name: t.exposeString('name', { description: 'What the shop shows the player.' }),
    description: t.exposeString('description', {
      nullable: true,
      description: 'Longer text for the shop, if the developer wrote one.',
    }),
    kind: t.field({
      type: ItemKindEnum,
      description: 'Whether it is used up, kept, or credits game currency.',
      resolve: (item) => item.kind,
    }),
    prices: t.field({
      type: [MoneyRef],
      description: 'One price per currency, by currency code.',
      resolve: (item) => [...item.prices],
    }),
    grants: t.field({
      type: MoneyRef,
      nullable: true,
      description: 'What a CURRENCY_PACK credits per unit.',
      resolve: (item) => item.grants,
    }),
    stock: t.exposeInt('stock', { nullable: true, description: 'Units left to sell; null is unlimited.' }),
    maxPerPlayer: t.exposeInt('maxPerPlayer', {
      nullable: true,
      description: 'Most units one player may buy in all; null is no limit.',
    }),
    availableFrom: t.expose('availableFrom', {
      type: 'DateTime',
      nullable: true,
      description: 'When it goes on sale; null is on sale from its creation.',
    }),
    availableUntil: t.expose('availableUntil', {
      type: 'DateTime',
      nullable: true,
      description: 'Exclusive end of the window.',
    }),
    active: t.boolean({ description: 'False once archived.', resolve: (item) => item.archivedAt === null }),
    availableNow: t.boolean({
      description: 'Active and inside its availability window: what the catalog lists.',
      resolve: (item, _args, ctx) => isOnSale(item, ctx.service.deps.clock.now()),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the developer created it.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it last changed.' }),
  }),
});

builder.objectField(GameRef, 'items', (t) =>
  t.connection(
    {
      type: ItemRef,
      description: 'All items for those who manage the game (archived ones too); what is on sale now for others.',
      resolve: (game, args, ctx) =>
        resolveCursorConnection(
          { args, toCursor: (item: CatalogItem) => encodeCursor(item), maxSize: 100 },
          (page: ResolveCursorConnectionArgs): Promise<CatalogItem[]> =>
            listGameItems(ctx.service, game.id, keysetPage(page)),
        ),
    },
    ItemConnection,
  ),
);

/**
 * Catalog items one GraphQL request may ask for over all its catalog fields: aliases would
 * otherwise multiply the per-call cap (100 aliases of a 500-item page answered 50,000 items).
 */
const CATALOG_ITEMS_PER_REQUEST = 2 * CATALOG_PAGE_MAX;
/** Items asked so far by the catalog fields of each request (keyed by its context). */
const catalogItemsAsked = new WeakMap<object, number>();

builder.queryField('catalog', (t) =>
  t.field({
    type: [ItemRef],
    description:
      "What the game sells right now, oldest first. Readable with the game's publishable or secret key, a player's game token, or by its developer. " +
      `At most \`first\` items (1 to ${CATALOG_PAGE_MAX}; default ${CATALOG_PAGE_MAX}): fewer than \`first\` means the end. ` +
      'For the next page pass the id of the last item as `after`. ' +
      `One request may ask for ${CATALOG_ITEMS_PER_REQUEST} catalog items in all (its catalog fields' \`first\` added up). ` +
      'Game.items is the paginated connection for large catalogs.',
    args: {
      gameId: t.arg.id({ required: true, description: 'The game whose shop to list (gam_…).' }),
      first: t.arg.int({ defaultValue: CATALOG_PAGE_MAX, description: `Items to return, 1 to ${CATALOG_PAGE_MAX}.` }),
      after: t.arg.id({ description: 'The id of the last item of the previous page: the answer starts after it.' }),
    },
    authScopes: { $any: { developer: true, gameSecret: true, gameClient: true, operator: true } },
    resolve: (_root, { gameId, first, after }, ctx) => {
      const asked =
        (catalogItemsAsked.get(ctx) ?? 0) + Math.min(Math.max(first ?? CATALOG_PAGE_MAX, 0), CATALOG_PAGE_MAX);
      catalogItemsAsked.set(ctx, asked);
      if (asked > CATALOG_ITEMS_PER_REQUEST) {
        throw ValidationError.field(
          'first',
          `the catalog fields of one request may ask for ${CATALOG_ITEMS_PER_REQUEST} items in all`,
        );
      }
      return getCatalog(ctx.service, decodeId('Game', gameId, 'gameId'), {
        first,
        after: after == null ? null : decodeId('Item', after, 'after'),
      });
    },
  }),
);

builder.objectType(SkuTakenError, {
  name: 'SkuTaken',
  description: 'SKU_TAKEN: another item of this game already has this SKU; SKUs are unique per game.',
  interfaces: [ErrorInterface],
  fields: (t) => ({ sku: t.exposeString('sku', { description: 'The SKU that is taken.' }) }),
});

const itemPayload = (name: string) =>
  builder.objectRef<{ item: CatalogItem }>(name).implement({
    description: 'The item as it is after the change.',
    fields: (t) => ({ item: t.field({ type: ItemRef, description: 'The item, changed.', resolve: (p) => p.item }) }),
  });
const CreateItemPayload = itemPayload('CreateItemPayload');
const UpdateItemPayload = itemPayload('UpdateItemPayload');
const ArchiveItemPayload = itemPayload('ArchiveItemPayload');

const CreateItemInput = builder.inputType('CreateItemInput', {
  description: 'A new item for a game you develop.',
  fields: (t) => ({
    gameId: t.id({ required: true, description: 'The game that will sell it (gam_…).' }),
    sku: t.string({ required: true, description: '1 to 64 of A-Z a-z 0-9 . _ -; unique in the game.' }),
    name: t.string({ required: true, description: 'What the shop shows the player.' }),
    description: t.string({ description: 'Longer text for the shop; optional.' }),
    kind: t.field({ type: ItemKindEnum, required: true, description: 'Used up, kept, or a currency pack.' }),
    prices: t.field({ type: [MoneyInputRef], required: true, description: 'ISO 4217 or game currencies, each once.' }),
    grants: t.field({
      type: MoneyInputRef,
      description: "CURRENCY_PACK only: an amount of one of the game's currencies.",
    }),
    maxPerPlayer: t.int({ description: 'Most units one player may buy in all; absent is no limit.' }),
    stock: t.int({ description: 'Units to sell; absent is unlimited.' }),
    availableFrom: t.field({ type: 'DateTime', description: 'When it goes on sale; absent is at once.' }),
    availableUntil: t.field({ type: 'DateTime', description: 'Exclusive end of the window.' }),
  }),
});
const UpdateItemInput = builder.inputType('UpdateItemInput', {
  description: 'Absent fields are left as they are; null clears an optional one; prices replace the whole set.',
  fields: (t) => ({
    itemId: t.id({ required: true, description: 'The item to change (itm_…).' }),
    sku: t.string({ description: 'A new SKU, unique in the game.' }),
    name: t.string({ description: 'A new shop name.' }),
    description: t.string({ description: 'New shop text; null removes it.' }),
    kind: t.field({ type: ItemKindEnum, description: 'A new kind.' }),
    prices: t.field({ type: [MoneyInputRef], description: 'The whole new set of prices, one per currency.' }),
    grants: t.field({ type: MoneyInputRef, description: 'CURRENCY_PACK only: the game currency it credits per unit.' }),
    maxPerPlayer: t.int({ description: 'A new per-player limit; null removes the limit.' }),
    stock: t.int({ description: 'Units left to sell; null makes it unlimited.' }),
    availableFrom: t.field({ type: 'DateTime', description: 'When it goes on sale; null is now.' }),
    availableUntil: t.field({ type: 'DateTime', description: 'When it leaves the shop (excluded); null is never.' }),
  }),
});
const ArchiveItemInput = builder.inputType('ArchiveItemInput', {
  description: 'An item to take off sale.',
  fields: (t) => ({ itemId: t.id({ required: true, description: 'The item (itm_…).' }) }),
});

builder.mutationField('createItem', (t) =>
  t.field({
    type: CreateItemPayload,
    description: "Adds an item to a game's catalog; it is on sale from availableFrom (or at once).",
    args: {
      input: t.arg({
        type: CreateItemInput,
        required: true,
        description: 'The new item: its game, SKU, name, kind, prices and limits.',
      }),
    },
    authScopes: { developer: true },
    errors: { types: [...COMMON_ERRORS, SkuTakenError], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      item: await createItem(
        ctx.service,
        parseInput(createItemInput, { ...input, gameId: decodeId('Game', input.gameId, 'input.gameId') }),
      ),
    }),
  }),
);
builder.mutationField('updateItem', (t) =>
  t.field({
    type: UpdateItemPayload,
    description: "Changes an item of the developer's game; purchases already made keep the price they were made at.",
    args: {
      input: t.arg({
        type: UpdateItemInput,
        required: true,
        description: 'The item (itm_…) and the fields to change.',
      }),
    },
    authScopes: { developer: true },
    errors: { types: [...COMMON_ERRORS, SkuTakenError], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      item: await updateItem(
        ctx.service,
        parseInput(updateItemInput, { ...input, itemId: decodeId('Item', input.itemId, 'input.itemId') }),
      ),
    }),
  }),
);
builder.mutationField('archiveItem', (t) =>
  t.field({
    type: ArchiveItemPayload,
    description: 'Takes an item off the catalog; it stays readable by id.',
    args: {
      input: t.arg({
        type: ArchiveItemInput,
        required: true,
        description: 'The item to take off the catalog (itm_…).',
      }),
    },
    authScopes: { developer: true },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      item: await archiveItem(ctx.service, { itemId: decodeId('Item', input.itemId, 'input.itemId') }),
    }),
  }),
);

/** The shared Relay connection of items (one type wherever a list of them is paged). */
export const ItemConnection = builder.connectionObject({
  type: ItemRef,
  name: 'ItemConnection',
  description: 'A page of items, with the cursors to fetch the pages around it.',
});
