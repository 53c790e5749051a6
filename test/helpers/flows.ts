// GraphQL documents and flows for purchase-level tests: a developer with a game and items, players with cards.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { uniqueEmail, type TestApp } from './test-app.js';
import { graphql, type TadaDocumentNode, type VariablesOf } from './graphql.js';
import { parsePublicId } from '../../src/shared/public-ids.js';

/**
 * The purchase documents, typed (`graphql()`, test/helpers/graphql.ts). The fragments are unmasked
 * (`@_unmask`), so a result carries their fields directly.
 */
export const PurchaseFields = graphql(`
  fragment PurchaseFields on Purchase @_unmask {
    id status quantity declineCode requiresActionReason confirmationReason payUrl receipt isGift paidWith oneTap
    price { amount currency formatted } fee { amount currency } refunded { amount currency }
    item { id sku } card { brand last4 } risk { decision score rulesFired { rule value threshold } }
    player { id } recipient { id } createdAt updatedAt expiresAt
  }
`);
export const ErrorFields = graphql(`
  fragment ErrorFields on Error @_unmask {
    code message
    ... on RetryableError { retryable retryAfterSeconds }
    ... on ValidationError { fieldErrors { path message } }
    ... on CardDeclined { declineCode purchaseId }
    ... on PriceChanged { currentPrice { amount currency } }
    ... on OutOfStock { available }
    ... on RiskBlocked { rulesFired }
    ... on InsufficientFunds { balance { amount currency } }
  }
`);
export const createPurchaseDocument = graphql(
  `
  mutation CreatePurchase($input: CreatePurchaseInput!) {
    createPurchase(input: $input) { __typename ... on PurchasePayload { purchase { ...PurchaseFields } } ...ErrorFields }
  }
`,
  [PurchaseFields, ErrorFields],
);
export const confirmPurchaseDocument = graphql(
  `
  mutation ConfirmPurchase($input: ConfirmPurchaseInput!) {
    confirmPurchase(input: $input) { __typename ... on PurchasePayload { purchase { ...PurchaseFields } } ...ErrorFields }
  }
`,
  [PurchaseFields, ErrorFields],
);
export const cancelPurchaseDocument = graphql(
  `
  mutation CancelPurchase($input: CancelPurchaseInput!) {
    cancelPurchase(input: $input) { __typename ... on PurchasePayload { purchase { ...PurchaseFields } } ...ErrorFields }
  }
`,
  [PurchaseFields, ErrorFields],
);
export const purchaseDocument = graphql(
  `
  query Purchase($id: ID!) { purchase(id: $id) { ...PurchaseFields } }
`,
  [PurchaseFields],
);
export const inventoryDocument = graphql(`
  query Inventory($gameId: ID!, $playerId: ID) { inventory(gameId: $gameId, playerId: $playerId) { quantity item { id sku } } }
`);
export const walletDocument = graphql(`
  query Wallet($gameId: ID!, $playerId: ID) { wallet(gameId: $gameId, playerId: $playerId) { amount currency } }
`);

export interface DemoItem {
  readonly id: string;
  readonly sku: string;
  readonly price: { amount: string; currency: string };
}

export interface GameSetup {
  readonly devToken: string;
  readonly gameId: string;
  readonly secretKey: string;
  readonly publishableKey: string;
  /** The secret its webhooks are signed with. */
  readonly webhookSecret: string;
  readonly items: Record<string, DemoItem>;
}

export interface PlayerSetup {
  readonly playerId: string;
  readonly playerToken: string;
  readonly gameToken: string;
  readonly cardId: string | null;
}

/**
 * Runs a typed mutation and expects `field` to answer the union member `typename`; returns that
 * member, typed (so `dev.token` below is a string the schema promises, not `any`).
 */
async function ok<
  R extends { [field in K]: { __typename: string } },
  V,
  K extends string,
  N extends R[K]['__typename'],
>(
  app: TestApp,
  document: TadaDocumentNode<R, V>,
  variables: V,
  token: string | null,
  field: K,
  typename: N,
): Promise<Extract<R[K], { __typename: N }>> {
  const res = await app.gql(document, variables, { token });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  const value = res.data[field];
  expect(value.__typename, JSON.stringify(value)).toBe(typename);
  return value as Extract<R[K], { __typename: N }>;
}

const SIGN_UP_DEVELOPER = graphql(`
  mutation SignUpDeveloper($input: SignUpDeveloperInput!) {
    signUpDeveloper(input: $input) { __typename ... on DeveloperAuthPayload { token } }
  }
`);
const CREATE_GAME = graphql(`
  mutation CreateGame($input: CreateGameInput!) {
    createGame(input: $input) { __typename ... on CreateGamePayload { secretKey publishableKey webhookSecret game { id } } }
  }
`);
const DEFINE_CURRENCY = graphql(`
  mutation DefineCurrency($input: DefineCurrencyInput!) { defineCurrency(input: $input) { __typename } }
`);
const CREATE_ITEM = graphql(`
  mutation CreateItem($input: CreateItemInput!) {
    createItem(input: $input) { __typename ... on CreateItemPayload { item { id sku } } ... on Error { message } }
  }
`);
const SIGN_UP_PLAYER = graphql(`
  mutation SignUpPlayer($input: SignUpPlayerInput!) {
    signUpPlayer(input: $input) { __typename ... on PlayerAuthPayload { token player { id } } }
  }
`);
const ADD_CARD = graphql(`
  mutation AddCard($input: AddCardInput!) {
    addCard(input: $input) { __typename ... on AddCardPayload { card { id } } ... on Error { message } }
  }
`);
const AUTHORIZE_GAME = graphql(`
  mutation AuthorizeGame($input: AuthorizeGameInput!) {
    authorizeGame(input: $input) { __typename ... on AuthorizeGamePayload { gameToken } ... on Error { message } }
  }
`);

export interface ItemSpec {
  readonly sku: string;
  readonly kind: 'CONSUMABLE' | 'DURABLE' | 'CURRENCY_PACK';
  readonly price: string;
  readonly currency?: string;
  readonly grants?: { amount: string; currency: string };
  readonly stock?: number;
  readonly maxPerPlayer?: number;
}

export const STANDARD_ITEMS: ItemSpec[] = [
  { sku: 'life', kind: 'CONSUMABLE', price: '99' },
  { sku: 'skin', kind: 'DURABLE', price: '499' },
  { sku: 'gems', kind: 'CURRENCY_PACK', price: '499', grants: { amount: '500', currency: 'GEM' } },
  { sku: 'big', kind: 'CONSUMABLE', price: '4999' },
  { sku: 'shield', kind: 'CONSUMABLE', price: '50', currency: 'GEM' },
];

/** A developer, a game with a GEM currency and the given items (a standard set by default). */
export async function setUpGame(
  app: TestApp,
  items: ItemSpec[] = STANDARD_ITEMS,
  game: Record<string, unknown> = {},
): Promise<GameSetup> {
  const dev = await ok(
    app,
    SIGN_UP_DEVELOPER,
    { input: { email: uniqueEmail('dev'), password: 'developer-password', name: 'Dev' } },
    null,
    'signUpDeveloper',
    'DeveloperAuthPayload',
  );
  const created = await ok(
    app,
    CREATE_GAME,
    {
      input: {
        name: 'Test game',
        defaultCurrency: 'USD',
        ...(game as Partial<VariablesOf<typeof CREATE_GAME>['input']>),
      },
    },
    dev.token,
    'createGame',
    'CreateGamePayload',
  );
  const gameId = created.game.id;
  await ok(
    app,
    DEFINE_CURRENCY,
    { input: { gameId, code: 'GEM', name: 'Gems' } },
    dev.token,
    'defineCurrency',
    'DefineCurrencyPayload',
  );
  const made: Record<string, DemoItem> = {};
  for (const spec of items) {
    const currency = spec.currency ?? 'USD';
    const item = await ok(
      app,
      CREATE_ITEM,
      {
        input: {
          gameId,
          sku: spec.sku,
          name: spec.sku,
          kind: spec.kind,
          prices: [{ amount: spec.price, currency }],
          ...(spec.grants ? { grants: spec.grants } : {}),
          ...(spec.stock !== undefined ? { stock: spec.stock } : {}),
          ...(spec.maxPerPlayer !== undefined ? { maxPerPlayer: spec.maxPerPlayer } : {}),
        },
      },
      dev.token,
      'createItem',
      'CreateItemPayload',
    );
    made[spec.sku] = { id: item.item.id, sku: spec.sku, price: { amount: spec.price, currency } };
  }
  return {
    devToken: dev.token,
    gameId,
    secretKey: created.secretKey,
    publishableKey: created.publishableKey,
    webhookSecret: created.webhookSecret,
    items: made,
  };
}

export const CARDS = {
  visa: '4242424242424242',
  mastercard: '5555555555554444',
  amex: '378282246310005',
  genericDecline: '4000000000000002',
  insufficientFunds: '4000000000009995',
  expired: '4000000000000069',
  incorrectCvc: '4000000000000127',
  authRequired: '4000002760003184',
  highestRisk: '4100000000000019',
  dispute: '4000000000000259',
  processingError: '4000000000000119',
  declinesLater: '4000000000000341',
  elevatedRisk: '4000000000009235',
} as const;

/**
 * A fresh Luhn-valid Visa number that the sandbox approves (not one of the special test cards), so
 * that players in a test do not share a card fingerprint (3 players on one card is a fraud block).
 */
export function randomApprovedCard(): string {
  const special = new Set<string>(Object.values(CARDS));
  for (;;) {
    const body = `4${Array.from({ length: 14 }, () => Math.floor(Math.random() * 10)).join('')}`;
    let sum = 0;
    for (let i = 0; i < body.length; i++) {
      let digit = Number(body[body.length - 1 - i]);
      if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
      sum += digit;
    }
    const number = `${body}${(10 - (sum % 10)) % 10}`;
    if (!special.has(number)) return number;
  }
}

/** A player with a card (or none) who authorized the game with the given allowance (USD minor units). */
export async function setUpPlayer(
  app: TestApp,
  game: Pick<GameSetup, 'gameId'>,
  options: { card?: string | null; oneTapMax?: string; dailyCap?: string; currency?: string } = {},
): Promise<PlayerSetup> {
  const signUp = await ok(
    app,
    SIGN_UP_PLAYER,
    { input: { email: uniqueEmail('player'), password: 'player-password', displayName: 'Player' } },
    null,
    'signUpPlayer',
    'PlayerAuthPayload',
  );
  let cardId: string | null = null;
  const card = options.card === undefined ? randomApprovedCard() : options.card;
  if (card) {
    const added = await ok(
      app,
      ADD_CARD,
      {
        input: {
          number: card,
          expMonth: 12,
          expYear: 2040,
          cvc: card.length === 15 ? '1234' : '123',
          holderName: 'Pat Player',
        },
      },
      signUp.token,
      'addCard',
      'AddCardPayload',
    );
    cardId = added.card.id;
  }
  const currency = options.currency ?? 'USD';
  const auth = await ok(
    app,
    AUTHORIZE_GAME,
    {
      input: {
        gameId: game.gameId,
        oneTapMax: { amount: options.oneTapMax ?? '1000', currency },
        dailyCap: { amount: options.dailyCap ?? '5000', currency },
      },
    },
    signUp.token,
    'authorizeGame',
    'AuthorizeGamePayload',
  );
  // Null only in the OAuth flow (the typed document says so); this direct authorization must carry one.
  if (auth.gameToken === null) throw new Error('authorizeGame answered without a game token');
  return { playerId: signUp.player.id, playerToken: signUp.token, gameToken: auth.gameToken, cardId };
}

/** What `buyTyped` may vary about a purchase. */
export interface BuyOptions {
  key?: string;
  quantity?: number;
  price?: { amount: string; currency: string };
  giftTo?: string;
  headers?: Record<string, string>;
}

function createPurchaseVariables(
  game: Pick<GameSetup, 'gameId'>,
  item: DemoItem,
  options: BuyOptions,
): VariablesOf<typeof createPurchaseDocument> {
  return {
    input: {
      gameId: game.gameId,
      itemId: item.id,
      quantity: options.quantity ?? 1,
      expectedPrice: options.price ?? item.price,
      idempotencyKey: options.key ?? randomUUID(),
      ...(options.giftTo ? { giftTo: options.giftTo } : {}),
    },
  };
}

function confirmPurchaseVariables(
  purchaseId: string,
  extra: { cvc?: string; cardId?: string; key?: string },
): VariablesOf<typeof confirmPurchaseDocument> {
  return {
    input: {
      purchaseId,
      idempotencyKey: extra.key ?? randomUUID(),
      ...(extra.cvc ? { cvc: extra.cvc } : {}),
      ...(extra.cardId ? { cardId: extra.cardId } : {}),
    },
  };
}

/**
 * createPurchase with the game token; a fresh idempotency key unless given. `data.createPurchase`
 * is the result union, narrowed with `expectTypename` (test/helpers/graphql.ts) before reading a
 * member's fields.
 */
export async function buyTyped(
  app: TestApp,
  game: Pick<GameSetup, 'gameId'>,
  player: Pick<PlayerSetup, 'gameToken'>,
  item: DemoItem,
  options: BuyOptions = {},
) {
  return app.gql(createPurchaseDocument, createPurchaseVariables(game, item, options), {
    token: player.gameToken,
    headers: options.headers,
  });
}

/** confirmPurchase in the pay sheet with the player's session (narrow `data.confirmPurchase` with `expectTypename`). */
export async function confirmTyped(
  app: TestApp,
  player: Pick<PlayerSetup, 'playerToken'>,
  purchaseId: string,
  extra: { cvc?: string; cardId?: string; key?: string } = {},
) {
  return app.gql(confirmPurchaseDocument, confirmPurchaseVariables(purchaseId, extra), {
    token: player.playerToken,
  });
}

/** The row id (UUID) inside a public id (`pur_…`); throws on anything else. */
export function decodeId(id: string): string {
  const parsed = parsePublicId(id);
  if (!parsed) throw new Error(`not a public id: ${id}`);
  return parsed.rowId;
}
