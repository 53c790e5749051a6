// GraphQL documents, test cards and small flows shared by the cards and authorizations tests.
import { expect } from 'vitest';
import { uniqueEmail, type TestApp } from '../../helpers/test-app.js';
import { decodeId } from '../../helpers/flows.js';
import { expectTypename, graphql, type ResultOf, type VariablesOf } from '../../helpers/graphql.js';

/** The error fields these documents ask for; unmasked, so a result carries them directly. */
const CardErrorFields = graphql(`
  fragment CardErrorFields on Error @_unmask {
    code message
    ... on RetryableError { retryable retryAfterSeconds }
    ... on ValidationError { fieldErrors { path message } }
  }
`);
export const CardFields = graphql(`
  fragment CardFields on Card @_unmask { id brand last4 expMonth expYear holderName isDefault }
`);
export const AuthorizationFields = graphql(`
  fragment AuthorizationFields on GameAuthorization @_unmask {
    id game { id name } oneTapMax { amount currency formatted } dailyCap { amount currency } createdAt updatedAt revokedAt
  }
`);

export const SIGN_UP_PLAYER = graphql(
  `
  mutation CardsSignUpPlayer($input: SignUpPlayerInput!) {
    signUpPlayer(input: $input) { __typename ... on PlayerAuthPayload { token player { id } } ...CardErrorFields }
  }
`,
  [CardErrorFields],
);
export const LOG_IN_PLAYER = graphql(
  `
  mutation CardsLogInPlayer($input: LogInInput!) {
    logInPlayer(input: $input) { __typename ... on PlayerAuthPayload { token player { id } } ...CardErrorFields }
  }
`,
  [CardErrorFields],
);
export const ADD_CARD = graphql(
  `
  mutation CardsAddCard($input: AddCardInput!) {
    addCard(input: $input) {
      __typename
      ... on AddCardPayload { card { ...CardFields } }
      ... on CardInvalid { field reason }
      ... on CardDeclined { declineCode }
      ...CardErrorFields
    }
  }
`,
  [CardFields, CardErrorFields],
);
export const REMOVE_CARD = graphql(
  `
  mutation CardsRemoveCard($input: RemoveCardInput!) {
    removeCard(input: $input) { __typename ... on RemoveCardPayload { card { ...CardFields } } ...CardErrorFields }
  }
`,
  [CardFields, CardErrorFields],
);
export const SET_DEFAULT_CARD = graphql(
  `
  mutation CardsSetDefaultCard($input: SetDefaultCardInput!) {
    setDefaultCard(input: $input) { __typename ... on SetDefaultCardPayload { card { ...CardFields } } ...CardErrorFields }
  }
`,
  [CardFields, CardErrorFields],
);
export const CARDS = graphql(`query CardsList { viewer { cards { ...CardFields } } }`, [CardFields]);
export const CARD_NODE = graphql(
  `query CardNode($id: ID!) { node(id: $id) { __typename ... on Card { ...CardFields } } }`,
  [CardFields],
);
export const AUTHORIZE_GAME = graphql(
  `
  mutation CardsAuthorizeGame($input: AuthorizeGameInput!) {
    authorizeGame(input: $input) {
      __typename
      ... on AuthorizeGamePayload { gameToken authorization { ...AuthorizationFields } }
      ...CardErrorFields
    }
  }
`,
  [AuthorizationFields, CardErrorFields],
);
export const UPDATE_AUTHORIZATION = graphql(
  `
  mutation CardsUpdateAuthorization($input: UpdateGameAuthorizationInput!) {
    updateGameAuthorization(input: $input) {
      __typename
      ... on UpdateGameAuthorizationPayload { authorization { ...AuthorizationFields } }
      ...CardErrorFields
    }
  }
`,
  [AuthorizationFields, CardErrorFields],
);
export const REVOKE_AUTHORIZATION = graphql(
  `
  mutation CardsRevokeAuthorization($input: RevokeGameAuthorizationInput!) {
    revokeGameAuthorization(input: $input) {
      __typename
      ... on RevokeGameAuthorizationPayload { authorization { ...AuthorizationFields } }
      ...CardErrorFields
    }
  }
`,
  [AuthorizationFields, CardErrorFields],
);
export const AUTHORIZATIONS = graphql(
  `query CardsAuthorizations { viewer { authorizations { edges { node { ...AuthorizationFields } } } } }`,
  [AuthorizationFields],
);
export const PREFILL = graphql(
  `query CardsPrefill { viewer { kind player { displayName } defaultCard { brand last4 } } }`,
);

export type Card = ResultOf<typeof CardFields>;
export type Authorization = ResultOf<typeof AuthorizationFields>;
export type AddCardInput = VariablesOf<typeof ADD_CARD>['input'];

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
  const signedUp = expectTypename(result.data.signUpPlayer, 'PlayerAuthPayload');
  const globalId = signedUp.player.id;
  return { token: signedUp.token, id: rawId(globalId), globalId, email, password };
}

/** A valid addCard input two years ahead; override what the test is about. */
export function cardInput(number: string, overrides: Partial<AddCardInput> = {}): AddCardInput {
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
  overrides: Partial<AddCardInput> = {},
): Promise<Card> {
  const result = await app.gql(ADD_CARD, { input: cardInput(number, overrides) }, { token });
  expect(result.errors).toBeUndefined();
  return expectTypename(result.data.addCard, 'AddCardPayload').card;
}

export async function listCards(app: TestApp, token: string): Promise<Card[]> {
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
): Promise<{ gameToken: string; authorization: Authorization }> {
  const result = await app.gql(
    AUTHORIZE_GAME,
    { input: { gameId, oneTapMax: { amount: oneTapMax, currency }, dailyCap: { amount: dailyCap, currency } } },
    { token },
  );
  expect(result.errors).toBeUndefined();
  const { gameToken, authorization } = expectTypename(result.data.authorizeGame, 'AuthorizeGamePayload');
  // Null only in the OAuth flow; this direct authorization must carry one.
  if (gameToken === null) throw new Error('authorizeGame answered without a game token');
  return { gameToken, authorization };
}
