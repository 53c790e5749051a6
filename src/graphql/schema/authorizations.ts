import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { builder } from '../builder.js';
import { COMMON_ERRORS, orNotFound } from '../errors.js';
import { MoneyInputRef, MoneyRef } from '../scalars.js';
import {
  authorizeGame,
  authorizeGameInput,
  getAuthorizationsByIds,
  listAuthorizations,
  revokeGameAuthorization,
  updateGameAuthorization,
  updateGameAuthorizationInput,
  type AuthorizeGameResult,
  type GameAuthorization,
} from '../../modules/authorizations/index.js';
import { ViewerRef } from './accounts.js';
import { GameRef } from './games.js';
import { decodeId, encodeCursor, keysetPage } from '../relay.js';
import { parseInput } from '../../shared/validation.js';

export const GameAuthorizationRef = builder.loadableNodeRef('GameAuthorization', {
  id: { resolve: (a: GameAuthorization) => a.id },
  // Only the player who granted it loads it; a game token or anyone else is told it does not exist.
  load: (ids: string[], ctx) => getAuthorizationsByIds(ctx.service, ids).then(orNotFound('GameAuthorization')),
  sort: (a) => a.id,
});

GameAuthorizationRef.implement({
  description: "A player's grant to a game, with the one-tap allowance.",
  fields: (t) => ({
    game: t.field({ type: GameRef, description: 'The game allowed to act for the player.', resolve: (a) => a.gameId }),
    oneTapMax: t.field({
      type: MoneyRef,
      description: 'The most one purchase may cost to be charged without asking; zero means always ask.',
      resolve: (a) => a.oneTapMax,
    }),
    dailyCap: t.field({
      type: MoneyRef,
      description: 'The most one-tap purchases may add up to in a day; zero means always ask.',
      resolve: (a) => a.dailyCap,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the player first authorized the game.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When its limits or state last changed.' }),
    revokedAt: t.expose('revokedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Set once revoked: its game token no longer works.',
    }),
  }),
});

builder.objectField(ViewerRef, 'authorizations', (t) =>
  t.connection(
    {
      type: GameAuthorizationRef,
      description: 'The games the signed-in player has authorized (not revoked), oldest first.',
      authScopes: { player: true },
      resolve: (_principal, args, ctx) =>
        resolveCursorConnection(
          { args, toCursor: encodeCursor, maxSize: 100 },
          (page: ResolveCursorConnectionArgs): Promise<GameAuthorization[]> =>
            listAuthorizations(ctx.service, keysetPage(page)),
        ),
    },
    GameAuthorizationConnection,
  ),
);

const AuthorizeGameInput = builder.inputType('AuthorizeGameInput', {
  description: 'A game the signed-in player lets buy for them, and the limits on one-tap buying.',
  fields: (t) => ({
    gameId: t.id({ required: true, description: 'The game (gam_…).' }),
    oneTapMax: t.field({
      type: MoneyInputRef,
      required: true,
      description: 'Per-purchase maximum; "0" means always ask.',
    }),
    dailyCap: t.field({
      type: MoneyInputRef,
      required: true,
      description: 'Daily total of one-tap purchases, same currency; "0" means always ask.',
    }),
    redirectUri: t.string({
      description:
        "Coinslot Connect (OAuth 2.0 + PKCE): one of the game's registered redirect URIs, or one of its registered origins for response_mode=web_message. With it the payload has redirectTo and no gameToken.",
    }),
    codeChallenge: t.string({ description: 'base64url(SHA-256(code_verifier)) of the game (RFC 7636).' }),
    codeChallengeMethod: t.string({ description: 'Only S256.' }),
    state: t.string({ description: "The game's state, echoed unchanged in redirectTo." }),
  }),
});
const UpdateGameAuthorizationInput = builder.inputType('UpdateGameAuthorizationInput', {
  description: 'New one-tap limits for a game the player authorized.',
  fields: (t) => ({
    authorizationId: t.id({ required: true, description: 'The authorization (gau_…).' }),
    oneTapMax: t.field({
      type: MoneyInputRef,
      required: true,
      description: 'Per-purchase maximum charged without asking; "0" means always ask.',
    }),
    dailyCap: t.field({
      type: MoneyInputRef,
      required: true,
      description: 'Daily total of one-tap purchases, same currency; "0" means always ask.',
    }),
  }),
});
const RevokeGameAuthorizationInput = builder.inputType('RevokeGameAuthorizationInput', {
  description: 'A game authorization to end.',
  fields: (t) => ({ authorizationId: t.id({ required: true, description: 'The authorization (gau_…).' }) }),
});

const AuthorizeGamePayload = builder.objectRef<AuthorizeGameResult>('AuthorizeGamePayload').implement({
  description: 'The new authorization and the game token that acts for the player.',
  fields: (t) => ({
    authorization: t.field({
      type: GameAuthorizationRef,
      description: 'The authorization with its limits.',
      resolve: (p) => p.authorization,
    }),
    gameToken: t.exposeString('gameToken', {
      nullable: true,
      description:
        "The game's token for this player (`gt_…`), shown only now; authorizing again replaces it. Null in the OAuth flow: the game exchanges the code at /oauth/token.",
    }),
    redirectTo: t.exposeString('redirectTo', {
      nullable: true,
      description:
        'In the OAuth flow: the registered redirect URI with the single-use code and the state (RFC 6749 §4.1.2); the code lives 60 seconds.',
    }),
  }),
});
const authorizationPayload = (name: string) =>
  builder.objectRef<{ authorization: GameAuthorization }>(name).implement({
    description: 'The authorization after the change.',
    fields: (t) => ({
      authorization: t.field({
        type: GameAuthorizationRef,
        description: 'The authorization.',
        resolve: (p) => p.authorization,
      }),
    }),
  });
const UpdateGameAuthorizationPayload = authorizationPayload('UpdateGameAuthorizationPayload');
const RevokeGameAuthorizationPayload = authorizationPayload('RevokeGameAuthorizationPayload');

builder.mutationField('authorizeGame', (t) =>
  t.field({
    type: AuthorizeGamePayload,
    description: 'Grants a game one-tap purchases within an allowance and returns its game token for this player.',
    args: {
      input: t.arg({
        type: AuthorizeGameInput,
        required: true,
        description: 'The game to let act for the signed-in player (gam_…), with its one-tap maximum and daily cap.',
      }),
    },
    authScopes: { player: true },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: (_root, { input }, ctx) =>
      authorizeGame(
        ctx.service,
        parseInput(authorizeGameInput, { ...input, gameId: decodeId('Game', input.gameId, 'input.gameId') }),
      ),
  }),
);
builder.mutationField('updateGameAuthorization', (t) =>
  t.field({
    type: UpdateGameAuthorizationPayload,
    description: "Changes a game's one-tap allowance; its game token stays the same.",
    args: {
      input: t.arg({
        type: UpdateGameAuthorizationInput,
        required: true,
        description: 'The game authorization to change and its new one-tap maximum and daily cap.',
      }),
    },
    authScopes: { player: true },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      authorization: await updateGameAuthorization(
        ctx.service,
        parseInput(updateGameAuthorizationInput, {
          ...input,
          authorizationId: decodeId('GameAuthorization', input.authorizationId, 'input.authorizationId'),
        }),
      ),
    }),
  }),
);
builder.mutationField('revokeGameAuthorization', (t) =>
  t.field({
    type: RevokeGameAuthorizationPayload,
    description: "Revokes a game's authorization: its game token stops working at once.",
    args: {
      input: t.arg({
        type: RevokeGameAuthorizationInput,
        required: true,
        description: 'The game authorization to end; the game loses access to the player at once.',
      }),
    },
    authScopes: { player: true },
    errors: { types: [...COMMON_ERRORS], directResult: true },
    resolve: async (_root, { input }, ctx) => ({
      authorization: await revokeGameAuthorization(ctx.service, {
        authorizationId: decodeId('GameAuthorization', input.authorizationId, 'input.authorizationId'),
      }),
    }),
  }),
);

/** The shared Relay connection of game authorizations (one type wherever a list of them is paged). */
export const GameAuthorizationConnection = builder.connectionObject({
  type: GameAuthorizationRef,
  name: 'GameAuthorizationConnection',
  description: 'A page of game authorizations, with the cursors to fetch the pages around it.',
});
