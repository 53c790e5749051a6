import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import RelayPlugin from '@pothos/plugin-relay';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import { GraphQLError } from 'graphql';
import { ValidationError } from '../shared/errors.js';
import { isIdKind, parseLegacyId, parsePublicId, publicId } from '../shared/public-ids.js';
import { MUTATION_GUARD } from './mutation-guard-plugin.js';
import type { GraphQLContext } from './context.js';

export interface AuthScopes {
  /** Any credential at all. */
  authenticated: boolean;
  developer: boolean;
  player: boolean;
  /** A game server with the secret key. */
  gameSecret: boolean;
  /** A game client with the publishable key or a player's game token. */
  gameClient: boolean;
  /** A game client acting for one player (game token). */
  playerGame: boolean;
  operator: boolean;
}

/** The object types that implement Node, filled once the schema is built (schema/index.ts). */
export const nodeKinds = new Set<string>();

/** The schema builder: plugins, context and scalars; domain types live in schema/<domain>.ts. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  AuthScopes: AuthScopes;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    ID: { Input: string; Output: string | number };
  };
}>({
  defaultFieldNullability: false,
  // Errors before scope-auth so that auth failures thrown in resolvers can be typed results too;
  // the mutation guard last, innermost, so that idempotency rejections become typed results.
  plugins: [ErrorsPlugin, ScopeAuthPlugin, ValidationPlugin, RelayPlugin, DataloaderPlugin, MUTATION_GUARD],
  errors: {
    unsafelyHandleInputErrors: true,
    // Every field with typed errors answers a union of its payload and those errors.
    defaultUnionOptions: {
      description:
        'What the field answers: its payload when it succeeded, or one of the typed errors it lists (each implements `Error`; ask for `__typename`, `code` and `message`), which say why it did not.',
    },
  },
  validation: {
    validationError: (result) =>
      new ValidationError(
        result.issues.map((issue) => ({
          path: (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.'),
          message: issue.message,
        })),
      ),
  },
  scopeAuth: {
    authScopes: (context) => {
      const kind = context.principal.kind;
      return {
        authenticated: kind !== 'anonymous',
        developer: kind === 'developer',
        player: kind === 'player',
        gameSecret: kind === 'game_secret',
        gameClient: kind === 'game_publishable' || kind === 'player_game',
        playerGame: kind === 'player_game',
        operator: kind === 'operator',
      };
    },
    unauthorizedError: (_parent, context) =>
      context.principal.kind === 'anonymous'
        ? new GraphQLError('Authentication required.', {
            extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
          })
        : new GraphQLError('These credentials may not do that.', {
            extensions: { code: 'FORBIDDEN', http: { status: 403 } },
          }),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: false, description: 'The items of this page, in order, each with its cursor.' },
    nodeFieldOptions: { nullable: false, description: 'The item itself, with all its fields.' },
    cursorFieldOptions: {
      description: "The item's place in the list: pass it as `after` or `before` to page from it.",
    },
    pageInfoFieldOptions: { description: 'Whether there are more pages, and the cursors to fetch them.' },
    pageInfoTypeOptions: { description: 'Where a page sits in its list (Relay cursor pagination).' },
    hasNextPageFieldOptions: { description: 'True when more items follow: ask again with `after: endCursor`.' },
    hasPreviousPageFieldOptions: { description: 'True when items come before: ask again with `before: startCursor`.' },
    startCursorFieldOptions: { description: 'The cursor of the first item of the page; null when the page is empty.' },
    endCursorFieldOptions: { description: 'The cursor of the last item of the page; null when the page is empty.' },
    defaultEdgeTypeOptions: { description: 'One item of a page, with its cursor.' },
    nodeTypeOptions: {
      description: 'An object with a Coinslot id; fetch any of them again with `node(id:)`.',
    },
    idFieldOptions: {
      description:
        'Its Coinslot id: opaque, stable and prefixed by kind (pur_… for a purchase, gam_… for a game); the same id webhooks and receipts carry.',
    },
    firstArgOptions: { description: 'At most this many items, from the start or after `after`.' },
    lastArgOptions: { description: 'At most this many items, from the end or before `before`.' },
    afterArgOptions: { description: 'The cursor of the item to continue after (`pageInfo.endCursor`).' },
    beforeArgOptions: { description: 'The cursor of the item to stop before (`pageInfo.startCursor`).' },
    nodeQueryOptions: {
      description:
        'Any object by its id (pur_…, gam_…, itm_…, ply_…, ref_…): the same id webhooks and receipts carry. Ask for its fields with `... on Purchase { … }`.',
      args: { id: { description: 'A Coinslot id, such as pur_… for a purchase.' } },
    },
    nodesQueryOptions: {
      description: 'Several objects by their ids, in the order asked, each as `node` would answer it.',
      args: { ids: { description: 'Coinslot ids, such as pur_… and itm_….' } },
    },
    // One id everywhere (src/shared/public-ids.ts): `pur_…`, `gam_…`; Relay's base64 ids of before
    // are still read. A kind without a prefix keeps Relay's form (a test finds any such Node).
    encodeGlobalID: (typename, id) =>
      isIdKind(typename) ? publicId(typename, String(id)) : Buffer.from(`${typename}:${id}`).toString('base64'),
    decodeGlobalID: (globalID) => {
      const parsed = parsePublicId(globalID) ?? parseLegacyId(globalID);
      if (!parsed) throw ValidationError.field('id', 'is not a Coinslot id');
      // A kind without a Node type (a ledger transaction or entry) would reach Pothos as an untyped error.
      if (!nodeKinds.has(parsed.kind)) throw ValidationError.field('id', `a ${parsed.kind} id names no Node`);
      return { typename: parsed.kind, id: parsed.rowId };
    },
  },
});

builder.queryType({ description: 'Everything a game, its developer or a player can read.' });
builder.mutationType({
  description:
    'Everything that changes something. Each answers its payload or a typed error; one retried with the same idempotency key (Idempotency-Key header, or idempotencyKey in the input) runs once.',
});
