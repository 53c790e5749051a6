import { builder } from '../builder.js';
import { COMMON_ERRORS, orNotFound } from '../errors.js';
import { EmailTakenError, InvalidCredentialsError, RateLimitedError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import { parseInput } from '../../shared/validation.js';
import {
  getDevelopersByIds,
  getPlayersByIds,
  logInDeveloper,
  logInInput,
  logInPlayer,
  logOut,
  logOutEverywhere,
  signUpDeveloper,
  signUpDeveloperInput,
  signUpPlayer,
  signUpPlayerInput,
  type DeveloperRow,
  type PlayerRow,
  type PlayerView,
} from '../../modules/accounts/index.js';

export const DeveloperRef = builder.loadableNodeRef('Developer', {
  id: { resolve: (d: DeveloperRow) => d.id },
  // The module answers only the developer themself and operators: anyone else gets NotFound.
  load: (ids: string[], ctx) => getDevelopersByIds(ctx.service, ids).then(orNotFound('Developer')),
  sort: (d) => d.id,
});
DeveloperRef.implement({
  description:
    'A developer account: it owns games and their catalogs. Visible to the developer themself and operators.',
  fields: (t) => ({
    email: t.exposeString('email', { description: 'The email the developer signs in with.' }),
    name: t.exposeString('name', { description: 'The display name given at sign-up.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the account was created.' }),
  }),
});

export const PlayerRef = builder.loadableNodeRef('Player', {
  id: { resolve: (p: PlayerView) => p.id },
  load: (ids: string[], ctx) => getPlayersByIds(ctx.service, ids).then(orNotFound('Player')),
  sort: (p) => p.id,
});
PlayerRef.implement({
  description: 'A player account: one Coinslot identity that keeps cards and buys in every game it authorized.',
  fields: (t) => ({
    displayName: t.exposeString('displayName', { description: 'The name the player chose, safe to show to others.' }),
    email: t.exposeString('email', {
      nullable: true,
      description: 'Shown to the player themself and to operators; null for anyone else.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the player signed up.' }),
  }),
});

/** Who the credentials belong to; other schema files add the fields of their domain. */
export const ViewerRef = builder.objectRef<Principal>('Viewer').implement({
  description: 'Who the credentials of this request belong to: a developer, a player, a game key or nobody.',
  fields: (t) => ({
    kind: t.string({
      description: 'ANONYMOUS, DEVELOPER, PLAYER, GAME_SECRET, GAME_PUBLISHABLE, PLAYER_GAME or OPERATOR.',
      resolve: (p) => p.kind.toUpperCase(),
    }),
    developer: t.field({
      type: DeveloperRef,
      nullable: true,
      description: 'The signed-in developer, or the developer of the game whose secret key this is; null otherwise.',
      resolve: (p) => (p.kind === 'developer' ? p.developerId : p.kind === 'game_secret' ? p.developerId : null),
    }),
    player: t.field({
      type: PlayerRef,
      nullable: true,
      description: 'The signed-in player, or the player a game token acts for; null otherwise.',
      resolve: (p) => (p.kind === 'player' || p.kind === 'player_game' ? p.playerId : null),
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerRef,
    description: 'Who is asking: answers for any credentials, and for none (kind ANONYMOUS).',
    resolve: (_root, _args, ctx) => ctx.principal,
  }),
);

const DeveloperAuthPayload = builder
  .objectRef<{ developer: DeveloperRow; token: string }>('DeveloperAuthPayload')
  .implement({
    description: 'A signed-in developer session.',
    fields: (t) => ({
      developer: t.field({
        type: DeveloperRef,
        description: 'The developer now signed in.',
        resolve: (p) => p.developer,
      }),
      token: t.exposeString('token', { description: 'The session token; send it as "Authorization: Bearer <token>".' }),
    }),
  });
const PlayerAuthPayload = builder.objectRef<{ player: PlayerRow; token: string }>('PlayerAuthPayload').implement({
  description: 'A signed-in player session.',
  fields: (t) => ({
    player: t.field({ type: PlayerRef, description: 'The player now signed in.', resolve: (p) => p.player }),
    token: t.exposeString('token', { description: 'The session token; send it as "Authorization: Bearer <token>".' }),
  }),
});

const SignUpDeveloperInput = builder.inputType('SignUpDeveloperInput', {
  description: 'A new developer account.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'The email to sign in with; one account per email.' }),
    password: t.string({ required: true, description: 'At least 10 characters.' }),
    name: t.string({ required: true, description: 'The name shown for the developer, such as a studio name.' }),
  }),
});
const SignUpPlayerInput = builder.inputType('SignUpPlayerInput', {
  description: 'A new player account.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'The email to sign in with; one account per email.' }),
    password: t.string({ required: true, description: 'At least 10 characters.' }),
    displayName: t.string({ required: true, description: 'The name other players and games see.' }),
  }),
});
const LogInInput = builder.inputType('LogInInput', {
  description: 'Email and password of an existing account.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'The email the account signed up with.' }),
    password: t.string({ required: true, description: 'Its password.' }),
  }),
});

builder.mutationField('signUpDeveloper', (t) =>
  t.field({
    type: DeveloperAuthPayload,
    description: 'Creates a developer account and signs it in; the developer can then create games and items.',
    args: {
      input: t.arg({
        type: SignUpDeveloperInput,
        required: true,
        description: "The new developer account's email, password and display name.",
      }),
    },
    errors: { types: [...COMMON_ERRORS, EmailTakenError], directResult: true },
    resolve: (_root, { input }, ctx) => signUpDeveloper(ctx.service, parseInput(signUpDeveloperInput, input)),
  }),
);
builder.mutationField('logInDeveloper', (t) =>
  t.field({
    type: DeveloperAuthPayload,
    description: 'Signs a developer in with email and password; repeated wrong passwords are rate limited.',
    args: { input: t.arg({ type: LogInInput, required: true, description: 'The email and password of the account.' }) },
    errors: { types: [...COMMON_ERRORS, InvalidCredentialsError, RateLimitedError], directResult: true },
    resolve: (_root, { input }, ctx) => logInDeveloper(ctx.service, parseInput(logInInput, input)),
  }),
);
builder.mutationField('signUpPlayer', (t) =>
  t.field({
    type: PlayerAuthPayload,
    description: 'Creates a player account and signs it in; the player can then keep cards and buy items.',
    args: {
      input: t.arg({
        type: SignUpPlayerInput,
        required: true,
        description: "The new player account's email, password and display name.",
      }),
    },
    errors: { types: [...COMMON_ERRORS, EmailTakenError], directResult: true },
    resolve: (_root, { input }, ctx) => signUpPlayer(ctx.service, parseInput(signUpPlayerInput, input)),
  }),
);
builder.mutationField('logInPlayer', (t) =>
  t.field({
    type: PlayerAuthPayload,
    description: 'Signs a player in with email and password; repeated wrong passwords are rate limited.',
    args: { input: t.arg({ type: LogInInput, required: true, description: 'The email and password of the account.' }) },
    errors: { types: [...COMMON_ERRORS, InvalidCredentialsError, RateLimitedError], directResult: true },
    resolve: (_root, { input }, ctx) => logInPlayer(ctx.service, parseInput(logInInput, input)),
  }),
);
builder.mutationField('logOut', (t) =>
  t.boolean({
    description: 'Ends the current developer or player session; true when a session was ended.',
    authScopes: { $any: { developer: true, player: true } },
    resolve: (_root, _args, ctx) => logOut(ctx.service),
  }),
);
builder.mutationField('logOutEverywhere', (t) =>
  t.int({
    description:
      "Ends every session of the signed-in developer or player, on every device (this one too); returns how many. Games' tokens stay: revoke a game to stop it.",
    authScopes: { $any: { developer: true, player: true } },
    resolve: (_root, _args, ctx) => logOutEverywhere(ctx.service),
  }),
);
