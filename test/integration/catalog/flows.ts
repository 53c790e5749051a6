// GraphQL documents and small flows shared by the games and catalog tests.
import { expect } from 'vitest';
import { uniqueEmail, type TestApp } from '../../helpers/test-app.js';
import { expectTypename, graphql, type ResultOf, type VariablesOf } from '../../helpers/graphql.js';

/** The error fields these documents ask for; unmasked, so a result carries them directly. */
const CatalogErrorFields = graphql(`
  fragment CatalogErrorFields on Error @_unmask {
    code message
    ... on ValidationError { fieldErrors { path message } }
  }
`);
export const GameFields = graphql(`
  fragment GameFields on Game @_unmask { id name defaultCurrency platformFeeBps webhookUrl createdAt currencies { code name } }
`);
export const ItemFields = graphql(`
  fragment ItemFields on Item @_unmask {
    id sku name description kind stock maxPerPlayer availableFrom availableUntil active availableNow
    prices { amount currency formatted } grants { amount currency formatted }
  }
`);

export const SIGN_UP_DEVELOPER = graphql(
  `
  mutation CatalogSignUpDeveloper($input: SignUpDeveloperInput!) {
    signUpDeveloper(input: $input) { __typename ... on DeveloperAuthPayload { token developer { id } } ...CatalogErrorFields }
  }
`,
  [CatalogErrorFields],
);
export const SIGN_UP_PLAYER = graphql(
  `
  mutation CatalogSignUpPlayer($input: SignUpPlayerInput!) {
    signUpPlayer(input: $input) { __typename ... on PlayerAuthPayload { token player { id } } ...CatalogErrorFields }
  }
`,
  [CatalogErrorFields],
);
export const CREATE_GAME = graphql(
  `
  mutation CatalogCreateGame($input: CreateGameInput!) {
    createGame(input: $input) {
      __typename
      ... on CreateGamePayload { secretKey publishableKey game { ...GameFields } }
      ...CatalogErrorFields
    }
  }
`,
  [GameFields, CatalogErrorFields],
);
export const ROTATE_GAME_KEYS = graphql(
  `
  mutation CatalogRotateGameKeys($input: RotateGameKeysInput!) {
    rotateGameKeys(input: $input) {
      __typename
      ... on RotateGameKeysPayload { secretKey publishableKey game { id } }
      ...CatalogErrorFields
    }
  }
`,
  [CatalogErrorFields],
);
export const UPDATE_GAME = graphql(
  `
  mutation CatalogUpdateGame($input: UpdateGameInput!) {
    updateGame(input: $input) { __typename ... on UpdateGamePayload { game { ...GameFields } } ...CatalogErrorFields }
  }
`,
  [GameFields, CatalogErrorFields],
);
export const SET_GAME_PLATFORM_FEE = graphql(
  `
  mutation CatalogSetGamePlatformFee($input: SetGamePlatformFeeInput!) {
    setGamePlatformFee(input: $input) { __typename ... on UpdateGamePayload { game { ...GameFields } } ...CatalogErrorFields }
  }
`,
  [GameFields, CatalogErrorFields],
);
export const DEFINE_CURRENCY = graphql(
  `
  mutation CatalogDefineCurrency($input: DefineCurrencyInput!) {
    defineCurrency(input: $input) {
      __typename
      ... on DefineCurrencyPayload { currency { code name } }
      ... on CurrencyCodeTaken { currencyCode }
      ...CatalogErrorFields
    }
  }
`,
  [CatalogErrorFields],
);
export const CREATE_ITEM = graphql(
  `
  mutation CatalogCreateItem($input: CreateItemInput!) {
    createItem(input: $input) {
      __typename
      ... on CreateItemPayload { item { ...ItemFields } }
      ... on SkuTaken { sku }
      ...CatalogErrorFields
    }
  }
`,
  [ItemFields, CatalogErrorFields],
);
export const UPDATE_ITEM = graphql(
  `
  mutation CatalogUpdateItem($input: UpdateItemInput!) {
    updateItem(input: $input) {
      __typename
      ... on UpdateItemPayload { item { ...ItemFields } }
      ... on SkuTaken { sku }
      ...CatalogErrorFields
    }
  }
`,
  [ItemFields, CatalogErrorFields],
);
export const ARCHIVE_ITEM = graphql(
  `
  mutation CatalogArchiveItem($input: ArchiveItemInput!) {
    archiveItem(input: $input) { __typename ... on ArchiveItemPayload { item { ...ItemFields } } ...CatalogErrorFields }
  }
`,
  [ItemFields, CatalogErrorFields],
);
export const CATALOG = graphql(`query Catalog($gameId: ID!) { catalog(gameId: $gameId) { ...ItemFields } }`, [
  ItemFields,
]);
export const GAME = graphql(`query Game($id: ID!) { game(id: $id) { ...GameFields } }`, [GameFields]);

export type Item = ResultOf<typeof ItemFields>;
export type CreateGameInput = VariablesOf<typeof CREATE_GAME>['input'];
export type CreateItemInput = VariablesOf<typeof CREATE_ITEM>['input'];

export interface Developer {
  readonly token: string;
  readonly id: string;
}

export interface CreatedGame {
  readonly id: string;
  readonly secretKey: string;
  readonly publishableKey: string;
}

export async function signUpDeveloper(app: TestApp, label = 'dev'): Promise<Developer> {
  const result = await app.gql(SIGN_UP_DEVELOPER, {
    input: { email: uniqueEmail(label), password: 'correct horse battery', name: `Studio ${label}` },
  });
  const signedUp = expectTypename(result.data.signUpDeveloper, 'DeveloperAuthPayload');
  return { token: signedUp.token, id: signedUp.developer.id };
}

export async function signUpPlayer(app: TestApp): Promise<{ token: string; id: string }> {
  const result = await app.gql(SIGN_UP_PLAYER, {
    input: { email: uniqueEmail('player'), password: 'correct horse battery', displayName: 'Player One' },
  });
  const signedUp = expectTypename(result.data.signUpPlayer, 'PlayerAuthPayload');
  return { token: signedUp.token, id: signedUp.player.id };
}

export async function createGame(
  app: TestApp,
  developer: Developer,
  input: Partial<CreateGameInput> = {},
): Promise<CreatedGame> {
  const result = await app.gql(
    CREATE_GAME,
    { input: { name: 'Dungeon Tapper', defaultCurrency: 'USD', ...input } },
    { token: developer.token },
  );
  const { game, secretKey, publishableKey } = expectTypename(result.data.createGame, 'CreateGamePayload');
  return { id: game.id, secretKey, publishableKey };
}

export async function defineCurrency(
  app: TestApp,
  developer: Developer,
  gameId: string,
  code: string,
  name = code,
): Promise<void> {
  const result = await app.gql(DEFINE_CURRENCY, { input: { gameId, code, name } }, { token: developer.token });
  expect(result.data.defineCurrency.__typename).toBe('DefineCurrencyPayload');
}

/** A valid createItem input for `gameId`, with a unique sku; override what the test is about. */
export function itemInput(gameId: string, overrides: Partial<CreateItemInput> = {}): CreateItemInput {
  return {
    gameId,
    sku: `sku-${Math.random().toString(36).slice(2, 10)}`,
    name: 'Health potion',
    kind: 'CONSUMABLE',
    prices: [{ amount: '499', currency: 'USD' }],
    ...overrides,
  };
}

export async function createItem(app: TestApp, developer: Developer, input: CreateItemInput): Promise<Item> {
  const result = await app.gql(CREATE_ITEM, { input }, { token: developer.token });
  expect(result.errors).toBeUndefined();
  return expectTypename(result.data.createItem, 'CreateItemPayload').item;
}
