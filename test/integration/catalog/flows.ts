// GraphQL documents and small flows shared by the games and catalog tests.
import { expect } from 'vitest';
import { uniqueEmail, type TestApp } from '../../helpers/test-app.js';

const ERROR_FIELDS = /* GraphQL */ `
  ... on Error { code message }
  ... on ValidationError { fieldErrors { path message } }
`;
export const GAME_FIELDS = /* GraphQL */ `id name defaultCurrency platformFeeBps webhookUrl createdAt currencies { code name }`;
export const ITEM_FIELDS = /* GraphQL */ `
  id sku name description kind stock maxPerPlayer availableFrom availableUntil active availableNow
  prices { amount currency formatted } grants { amount currency formatted }
`;

export const SIGN_UP_DEVELOPER = /* GraphQL */ `
  mutation ($input: SignUpDeveloperInput!) {
    signUpDeveloper(input: $input) { __typename ... on DeveloperAuthPayload { token developer { id } } ${ERROR_FIELDS} }
  }
`;
export const SIGN_UP_PLAYER = /* GraphQL */ `
  mutation ($input: SignUpPlayerInput!) {
    signUpPlayer(input: $input) { __typename ... on PlayerAuthPayload { token player { id } } ${ERROR_FIELDS} }
  }
`;
export const CREATE_GAME = /* GraphQL */ `
  mutation ($input: CreateGameInput!) {
    createGame(input: $input) {
      __typename
      ... on CreateGamePayload { secretKey publishableKey game { ${GAME_FIELDS} } }
      ${ERROR_FIELDS}
    }
  }
`;
export const ROTATE_GAME_KEYS = /* GraphQL */ `
  mutation ($input: RotateGameKeysInput!) {
    rotateGameKeys(input: $input) {
      __typename
      ... on RotateGameKeysPayload { secretKey publishableKey game { id } }
      ${ERROR_FIELDS}
    }
  }
`;
export const UPDATE_GAME = /* GraphQL */ `
  mutation ($input: UpdateGameInput!) {
    updateGame(input: $input) { __typename ... on UpdateGamePayload { game { ${GAME_FIELDS} } } ${ERROR_FIELDS} }
  }
`;
export const SET_GAME_PLATFORM_FEE = /* GraphQL */ `
  mutation ($input: SetGamePlatformFeeInput!) {
    setGamePlatformFee(input: $input) { __typename ... on UpdateGamePayload { game { ${GAME_FIELDS} } } ${ERROR_FIELDS} }
  }
`;
export const DEFINE_CURRENCY = /* GraphQL */ `
  mutation ($input: DefineCurrencyInput!) {
    defineCurrency(input: $input) {
      __typename
      ... on DefineCurrencyPayload { currency { code name } }
      ... on CurrencyCodeTaken { currencyCode }
      ${ERROR_FIELDS}
    }
  }
`;
export const CREATE_ITEM = /* GraphQL */ `
  mutation ($input: CreateItemInput!) {
    createItem(input: $input) {
      __typename
      ... on CreateItemPayload { item { ${ITEM_FIELDS} } }
      ... on SkuTaken { sku }
      ${ERROR_FIELDS}
    }
  }
`;
export const UPDATE_ITEM = /* GraphQL */ `
  mutation ($input: UpdateItemInput!) {
    updateItem(input: $input) {
      __typename
      ... on UpdateItemPayload { item { ${ITEM_FIELDS} } }
      ... on SkuTaken { sku }
      ${ERROR_FIELDS}
    }
  }
`;
export const ARCHIVE_ITEM = /* GraphQL */ `
  mutation ($input: ArchiveItemInput!) {
    archiveItem(input: $input) { __typename ... on ArchiveItemPayload { item { ${ITEM_FIELDS} } } ${ERROR_FIELDS} }
  }
`;
export const CATALOG = /* GraphQL */ `query ($gameId: ID!) { catalog(gameId: $gameId) { ${ITEM_FIELDS} } }`;
export const GAME = /* GraphQL */ `query ($id: ID!) { game(id: $id) { ${GAME_FIELDS} } }`;

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
  expect(result.data.signUpDeveloper.__typename).toBe('DeveloperAuthPayload');
  return { token: result.data.signUpDeveloper.token, id: result.data.signUpDeveloper.developer.id };
}

export async function signUpPlayer(app: TestApp): Promise<{ token: string; id: string }> {
  const result = await app.gql(SIGN_UP_PLAYER, {
    input: { email: uniqueEmail('player'), password: 'correct horse battery', displayName: 'Player One' },
  });
  expect(result.data.signUpPlayer.__typename).toBe('PlayerAuthPayload');
  return { token: result.data.signUpPlayer.token, id: result.data.signUpPlayer.player.id };
}

export async function createGame(
  app: TestApp,
  developer: Developer,
  input: Record<string, unknown> = {},
): Promise<CreatedGame> {
  const result = await app.gql(
    CREATE_GAME,
    { input: { name: 'Dungeon Tapper', defaultCurrency: 'USD', ...input } },
    { token: developer.token },
  );
  expect(result.data.createGame.__typename).toBe('CreateGamePayload');
  const { game, secretKey, publishableKey } = result.data.createGame;
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
export function itemInput(gameId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    gameId,
    sku: `sku-${Math.random().toString(36).slice(2, 10)}`,
    name: 'Health potion',
    kind: 'CONSUMABLE',
    prices: [{ amount: '499', currency: 'USD' }],
    ...overrides,
  };
}

export async function createItem(
  app: TestApp,
  developer: Developer,
  input: Record<string, unknown>,
): Promise<Record<string, any>> {
  const result = await app.gql(CREATE_ITEM, { input }, { token: developer.token });
  expect(result.errors).toBeUndefined();
  expect(result.data.createItem.__typename, JSON.stringify(result.data.createItem)).toBe('CreateItemPayload');
  return result.data.createItem.item;
}
