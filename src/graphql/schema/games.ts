import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { builder } from '../builder.js';
import { decodeId, encodeCursor, keysetPage } from '../relay.js';
import { COMMON_ERRORS, ErrorInterface, orNotFound } from '../errors.js';
import {
  canManageGame,
  createGame,
  createGameInput,
  CurrencyCodeTakenError,
  defineCurrency,
  defineCurrencyInput,
  getCurrenciesByGameIds,
  getGamesByIds,
  listGames,
  rotateGameKeys,
  setGamePlatformFee,
  setPlatformFeeInput,
  updateGame,
  updateGameInput,
  type GameCurrencyRow,
  type GameKeyPair,
  type GameRow,
} from '../../modules/games/index.js';
import { parseInput } from '../../shared/validation.js';
import { ViewerRef } from './accounts.js';
import type { Settings } from '../../shared/settings.js';

/** Production refuses http origins and redirect URIs in a game's input. */
const isProduction = (config: Pick<Settings, 'NODE_ENV'>): boolean => config.NODE_ENV === 'production';

export const GameRef = builder.loadableNodeRef('Game', {
  id: { resolve: (g: GameRow) => g.id },
  load: (ids: string[], ctx) => getGamesByIds(ctx.service, ids).then(orNotFound('Game')),
  sort: (g) => g.id,
});

export const GameCurrencyRef = builder.objectRef<GameCurrencyRow>('GameCurrency').implement({
  description: "A game's own virtual currency (GEM, COIN…); amounts in it have no minor-unit digits.",
  fields: (t) => ({
    code: t.exposeString('code', { description: 'Its code in Money.currency and prices, such as GEM.' }),
    name: t.exposeString('name', { description: 'What players call it, such as Gems.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the developer defined it.' }),
  }),
});

GameRef.implement({
  description: 'A game of a developer: what it sells and how it is paid.',
  fields: (t) => ({
    name: t.exposeString('name', { description: "The game's name, as players and the developer see it." }),
    defaultCurrency: t.exposeString('defaultCurrency', {
      description: 'ISO 4217 code of the real money it prices in by default.',
    }),
    platformFeeBps: t.int({
      nullable: true,
      description:
        "Coinslot's fee in basis points (3000 = 30%), set by operators only (setGamePlatformFee); null unless the caller manages the game.",
      resolve: (g, _args, ctx) => (canManageGame(ctx.principal, g) ? g.platformFeeBps : null),
    }),
    webhookUrl: t.string({
      nullable: true,
      description: 'Where purchase events are posted; null when unset or the caller does not manage the game.',
      resolve: (g, _args, ctx) => (canManageGame(ctx.principal, g) ? g.webhookUrl : null),
    }),
    allowedOrigins: t.exposeStringList('allowedOrigins', {
      description:
        'The exact web origins the game runs on: Coinslot Connect posts results only to them, frames its pages only inside them and answers their API calls (CORS). Public, as they show in those headers anyway.',
    }),
    redirectUris: t.exposeStringList('redirectUris', {
      description: "The exact OAuth redirect URIs of the game's native apps (private-use schemes, https app links).",
    }),
    currencies: t.loadableList({
      type: GameCurrencyRef,
      description: 'The virtual currencies the game defined (defineCurrency).',
      load: (gameIds: string[], ctx) => getCurrenciesByGameIds(ctx.service, gameIds),
      resolve: (g) => g.id,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the developer created the game.' }),
  }),
});

builder.objectField(ViewerRef, 'games', (t) =>
  t.connection(
    {
      type: GameRef,
      description: "A developer's own games (a game key: its game; an operator: all), oldest first.",
      resolve: (_principal, args, ctx) =>
        resolveCursorConnection(
          { args, toCursor: (game: GameRow) => encodeCursor(game), maxSize: 100 },
          (page: ResolveCursorConnectionArgs): Promise<GameRow[]> => listGames(ctx.service, keysetPage(page)),
        ),
    },
    GameConnection,
  ),
);

builder.queryField('game', (t) =>
  t.field({
    type: GameRef,
    nullable: true,
    description: "A game the caller may see; someone else's game is a NOT_FOUND error.",
    args: { id: t.arg.id({ required: true, description: 'The game id (gam_…).' }) },
    authScopes: { authenticated: true },
    resolve: (_root, { id }) => decodeId('Game', id, 'id'),
  }),
);

builder.objectType(CurrencyCodeTakenError, {
  name: 'CurrencyCodeTaken',
  description: 'CURRENCY_CODE_TAKEN: this game already has a currency with this code.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    currencyCode: t.exposeString('currencyCode', { description: 'The code that is taken, e.g. GEM.' }),
  }),
});

const gameWithKeys = (name: string) =>
  builder.objectRef<{ game: GameRow } & GameKeyPair>(name).implement({
    description: 'The game and its new API keys; store the keys now, they are never shown again.',
    fields: (t) => ({
      game: t.field({ type: GameRef, description: 'The game.', resolve: (p) => p.game }),
      secretKey: t.exposeString('secretKey', {
        description: 'The secret key `sk_…` for the game server; shown only now.',
      }),
      publishableKey: t.exposeString('publishableKey', {
        description: 'The publishable key `pk_…` for the game client; shown only now.',
      }),
    }),
  });
const CreateGamePayload = gameWithKeys('CreateGamePayload');
builder.objectField(CreateGamePayload, 'webhookSecret', (t) =>
  t.string({
    description:
      'The webhook signing secret `whsec_…` (Standard Webhooks); shown only now. rotateWebhookSecret replaces it.',
    resolve: (p) => (p as typeof p & { webhookSecret: string }).webhookSecret,
  }),
);
const RotateGameKeysPayload = gameWithKeys('RotateGameKeysPayload');
const UpdateGamePayload = builder.objectRef<{ game: GameRow }>('UpdateGamePayload').implement({
  description: 'The game as it is after the change.',
  fields: (t) => ({ game: t.field({ type: GameRef, description: 'The game, changed.', resolve: (p) => p.game }) }),
});
const DefineCurrencyPayload = builder.objectRef<{ currency: GameCurrencyRow }>('DefineCurrencyPayload').implement({
  description: 'The new game currency.',
  fields: (t) => ({
    currency: t.field({
      type: GameCurrencyRef,
      description: 'The currency, ready to price items in.',
      resolve: (p) => p.currency,
    }),
  }),
});

const CreateGameInput = builder.inputType('CreateGameInput', {
  description: 'A new game for the signed-in developer.',
  fields: (t) => ({
    name: t.string({ required: true, description: "The game's name, as players and the developer see it." }),
    defaultCurrency: t.string({ required: true, description: 'ISO 4217 code, e.g. USD.' }),
    webhookUrl: t.string({ description: 'https, or http on localhost only.' }),
    allowedOrigins: t.stringList({
      description:
        'Exact web origins the game runs on, such as https://play.example.com (http on loopback outside production only; no wildcards).',
    }),
    redirectUris: t.stringList({
      description:
        'Exact OAuth redirect URIs of its native apps: a private-use scheme in reverse-domain form (com.example.game:/coinslot) or an https app link.',
    }),
  }),
});
const RotateGameKeysInput = builder.inputType('RotateGameKeysInput', {
  description: 'A game whose API keys to replace, e.g. after a leak.',
  fields: (t) => ({ gameId: t.id({ required: true, description: 'The game (gam_…).' }) }),
});
const UpdateGameInput = builder.inputType('UpdateGameInput', {
  description: 'Absent fields are left as they are; webhookUrl: null removes the webhook.',
  fields: (t) => ({
    gameId: t.id({ required: true, description: 'The game to change (gam_…).' }),
    name: t.string({ description: 'A new name.' }),
    webhookUrl: t.string({ description: 'A new webhook URL (https, or http on localhost only); null removes it.' }),
    allowedOrigins: t.stringList({
      description:
        'Replaces the list: exact web origins the game runs on, such as https://play.example.com (http on loopback outside production only; no wildcards).',
    }),
    redirectUris: t.stringList({
      description:
        'Replaces the list: exact OAuth redirect URIs of its native apps: a private-use scheme in reverse-domain form (com.example.game:/coinslot) or an https app link.',
    }),
  }),
});
const SetGamePlatformFeeInput = builder.inputType('SetGamePlatformFeeInput', {
  description: "A game's new platform fee (operators only).",
  fields: (t) => ({
    gameId: t.id({ required: true, description: 'The game (gam_…).' }),
    platformFeeBps: t.int({
      required: true,
      description: "Coinslot's share of each later sale in basis points, 0 to 10000 (3000 = 30%).",
    }),
  }),
});
const DefineCurrencyInput = builder.inputType('DefineCurrencyInput', {
  description: 'A new currency of a game, such as gems or coins.',
  fields: (t) => ({
    gameId: t.id({ required: true, description: 'The game (gam_…).' }),
    code: t.string({ required: true, description: '2 to 8 capital letters, not an ISO 4217 code, e.g. GEM.' }),
    name: t.string({ required: true, description: 'What players call it, such as Gems.' }),
  }),
});

builder.mutationField('createGame', (t) =>
  t.field({
    type: CreateGamePayload,
    description:
      'Creates a game for the signed-in developer and returns its keys and webhook secret, shown only this once.',
    args: {
      input: t.arg({
        type: CreateGameInput,
        required: true,
        description: "The new game's name, default currency, webhook URL and allowed origins.",
      }),
    },
    authScopes: { developer: true },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: (_root, { input }, ctx) =>
      createGame(ctx.service, parseInput(createGameInput(isProduction(ctx.service.deps.config)), input)),
  }),
);
builder.mutationField('rotateGameKeys', (t) =>
  t.field({
    type: RotateGameKeysPayload,
    description: 'New keys for a game; the old ones stop working at once.',
    args: {
      input: t.arg({
        type: RotateGameKeysInput,
        required: true,
        description: 'The game whose keys to replace (gam_…).',
      }),
    },
    authScopes: { developer: true },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: (_root, { input }, ctx) =>
      rotateGameKeys(ctx.service, { ...input, gameId: decodeId('Game', input.gameId, 'input.gameId') }),
  }),
);
builder.mutationField('updateGame', (t) =>
  t.field({
    type: UpdateGamePayload,
    description: "Changes a game's name, webhook URL, allowed origins or redirect URIs.",
    args: {
      input: t.arg({
        type: UpdateGameInput,
        required: true,
        description: 'The game (gam_…) and the settings to change.',
      }),
    },
    authScopes: { developer: true },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      game: await updateGame(
        ctx.service,
        parseInput(updateGameInput(isProduction(ctx.service.deps.config)), {
          ...input,
          gameId: decodeId('Game', input.gameId, 'input.gameId'),
        }),
      ),
    }),
  }),
);
builder.mutationField('setGamePlatformFee', (t) =>
  t.field({
    type: UpdateGamePayload,
    description:
      "Sets a game's platform fee for its later sales (operator token only; purchases already made keep theirs).",
    args: {
      input: t.arg({
        type: SetGamePlatformFeeInput,
        required: true,
        description: 'The game (gam_…) and its new fee in basis points.',
      }),
    },
    authScopes: { operator: true },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      game: await setGamePlatformFee(
        ctx.service,
        parseInput(setPlatformFeeInput, { ...input, gameId: decodeId('Game', input.gameId, 'input.gameId') }),
      ),
    }),
  }),
);
builder.mutationField('defineCurrency', (t) =>
  t.field({
    type: DefineCurrencyPayload,
    description: 'Adds a game currency (gems, coins…) that items can be priced in and currency packs can grant.',
    args: {
      input: t.arg({
        type: DefineCurrencyInput,
        required: true,
        description: 'The game (gam_…) and the code and name of its new currency.',
      }),
    },
    authScopes: { developer: true },
    errors: { types: [...COMMON_ERRORS, CurrencyCodeTakenError], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      currency: await defineCurrency(
        ctx.service,
        parseInput(defineCurrencyInput, { ...input, gameId: decodeId('Game', input.gameId, 'input.gameId') }),
      ),
    }),
  }),
);

/** The shared Relay connection of games (one type wherever a list of them is paged). */
export const GameConnection = builder.connectionObject({
  type: GameRef,
  name: 'GameConnection',
  description: 'A page of games, with the cursors to fetch the pages around it.',
});
