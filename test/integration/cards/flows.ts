// GraphQL documents, test cards and small flows shared by the cards and authorizations tests.
import { expect } from 'vitest';
import { uniqueEmail, type TestApp } from '../../helpers/test-app.js';
import { decodeId } from '../../helpers/flows.js';

const ERROR_FIELDS = /* GraphQL */ `
  ... on Error { code message }
  ... on RetryableError { retryable retryAfterSeconds }
  ... on ValidationError { fieldErrors { path message } }
`;
export const CARD_FIELDS = /* GraphQL */ `id brand last4 expMonth expYear holderName isDefault`;
export const AUTHORIZATION_FIELDS = /* GraphQL */ `
  id game { id name } oneTapMax { amount currency formatted } dailyCap { amount currency } createdAt updatedAt revokedAt
`;

export const SIGN_UP_PLAYER = /* GraphQL */ `
  mutation ($input: SignUpPlayerInput!) {
    signUpPlayer(input: $input) { __typename ... on PlayerAuthPayload { token player { id } } ${ERROR_FIELDS} }
  }
`;
export const LOG_IN_PLAYER = /* GraphQL */ `
  mutation ($input: LogInInput!) {
    logInPlayer(input: $input) { __typename ... on PlayerAuthPayload { token player { id } } ${ERROR_FIELDS} }
  }
`;
export const ADD_CARD = /* GraphQL */ `
  mutation ($input: AddCardInput!) {
    addCard(input: $input) {
      __typename
      ... on AddCardPayload { card { ${CARD_FIELDS} } }
      ... on CardInvalid { field reason }
      ... on CardDeclined { declineCode }
      ${ERROR_FIELDS}
    }
  }
`;
export const REMOVE_CARD = /* GraphQL */ `
  mutation ($input: RemoveCardInput!) {
    removeCard(input: $input) { __typename ... on RemoveCardPayload { card { ${CARD_FIELDS} } } ${ERROR_FIELDS} }
  }
`;
export const SET_DEFAULT_CARD = /* GraphQL */ `
  mutation ($input: SetDefaultCardInput!) {
    setDefaultCard(input: $input) { __typename ... on SetDefaultCardPayload { card { ${CARD_FIELDS} } } ${ERROR_FIELDS} }
  }
`;
export const CARDS = /* GraphQL */ `{ viewer { cards { ${CARD_FIELDS} } } }`;
export const CARD_NODE = /* GraphQL */ `query ($id: ID!) { node(id: $id) { __typename ... on Card { ${CARD_FIELDS} } } }`;
export const AUTHORIZE_GAME = /* GraphQL */ `
  mutation ($input: AuthorizeGameInput!) {
    authorizeGame(input: $input) {
      __typename
      ... on AuthorizeGamePayload { gameToken authorization { ${AUTHORIZATION_FIELDS} } }
      ${ERROR_FIELDS}
    }
  }
`;
export const UPDATE_AUTHORIZATION = /* GraphQL */ `
  mutation ($input: UpdateGameAuthorizationInput!) {
    updateGameAuthorization(input: $input) {
      __typename
      ... on UpdateGameAuthorizationPayload { authorization { ${AUTHORIZATION_FIELDS} } }
      ${ERROR_FIELDS}
    }
  }
`;
export const REVOKE_AUTHORIZATION = /* GraphQL */ `
  mutation ($input: RevokeGameAuthorizationInput!) {
    revokeGameAuthorization(input: $input) {
      __typename
      ... on RevokeGameAuthorizationPayload { authorization { ${AUTHORIZATION_FIELDS} } }
      ${ERROR_FIELDS}
    }
  }
`;
export const AUTHORIZATIONS = /* GraphQL */ `{ viewer { authorizations { edges { node { ${AUTHORIZATION_FIELDS} } } } } }`;
export const PREFILL = /* GraphQL */ `{ viewer { kind player { displayName } defaultCard { brand last4 } } }`;

/** The sandbox's test cards (src/acquirer/README.md), as typed by a player. */
export const TEST_CARDS = {
  visa: '4242 4242 4242 4242',
  mastercard: '5555 5555 5555 4444',
  amex: '3782 822463 10005',
  genericDecline: '4000 0000 0000 0002',
  insufficientFunds: '4000 0000 0000 9995',
  expiredCard: '4000 0000 0000 0069',
  incorrectCvc: '4000 0000 0000 0127',
  stepUp: '4000 0027 6000 3184',
  highestRisk: '4100 0000 0000 0019',
  disputed: '4000 0000 0000 0259',
  processingError: '4000 0000 0000 0119',
  declinesCharges: '4000 0000 0000 0341',
  elevatedRisk: '4000 0000 0000 9235',
} as const;

/** The database id inside a Relay global id. */
export const rawId = (id: string): string => decodeId(id);

export interface Player {
  readonly token: string;
  /** The database id (not the global id). */
  readonly id: string;
  readonly globalId: string;
  readonly email: string;
  readonly password: string;
}

export async function signUpPlayer(app: TestApp, displayName = 'Player One'): Promise<Player> {
  const email = uniqueEmail('player');
  const password = 'correct horse battery';
  const result = await app.gql(SIGN_UP_PLAYER, { input: { email, password, displayName } });
  expect(result.data.signUpPlayer.__typename).toBe('PlayerAuthPayload');
  const globalId = result.data.signUpPlayer.player.id as string;
  return { token: result.data.signUpPlayer.token, id: rawId(globalId), globalId, email, password };
}

/** A valid addCard input two years ahead; override what the test is about. */
export function cardInput(number: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const amex = number.replace(/\D/g, '').startsWith('37') || number.replace(/\D/g, '').startsWith('34');
  return {
    number,
    expMonth: 12,
    expYear: new Date().getUTCFullYear() + 2,
    cvc: amex ? '1234' : '123',
    holderName: 'Ada Lovelace',
    ...overrides,
  };
}

/** Adds a card that must be accepted and returns it. */
export async function addCard(
  app: TestApp,
  token: string,
  number: string,
  overrides: Record<string, unknown> = {},
): Promise<Record<string, any>> {
  const result = await app.gql(ADD_CARD, { input: cardInput(number, overrides) }, { token });
  expect(result.errors).toBeUndefined();
  expect(result.data.addCard.__typename, JSON.stringify(result.data.addCard)).toBe('AddCardPayload');
  return result.data.addCard.card;
}

export async function listCards(app: TestApp, token: string): Promise<Record<string, any>[]> {
  const result = await app.gql(CARDS, {}, { token });
  expect(result.errors).toBeUndefined();
  return result.data.viewer.cards;
}

/** Authorizes a game with an allowance in USD and returns the game token and the authorization. */
export async function authorizeGame(
  app: TestApp,
  token: string,
  gameId: string,
  oneTapMax = '500',
  dailyCap = '2000',
  currency = 'USD',
): Promise<{ gameToken: string; authorization: Record<string, any> }> {
  const result = await app.gql(
    AUTHORIZE_GAME,
    { input: { gameId, oneTapMax: { amount: oneTapMax, currency }, dailyCap: { amount: dailyCap, currency } } },
    { token },
  );
  expect(result.errors).toBeUndefined();
  expect(result.data.authorizeGame.__typename, JSON.stringify(result.data.authorizeGame)).toBe('AuthorizeGamePayload');
  return result.data.authorizeGame;
}
