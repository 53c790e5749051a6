// GraphQL documents the benchmark sends (copied from test/helpers/flows.ts and the demo game: bench code
// imports nothing from test/), and a small client for the setup steps.

export const ERROR_FIELDS = /* GraphQL */ `
  ... on Error { code message }
  ... on RetryableError { retryable retryAfterSeconds }
  ... on CardDeclined { declineCode purchaseId }
  ... on PriceChanged { currentPrice { amount currency } }
  ... on RiskBlocked { rulesFired }
  ... on InsufficientFunds { balance { amount currency } }
`;

/** What a game asks for after a purchase (the demo game's fields plus the receipt it verifies). */
export const PURCHASE_FIELDS = /* GraphQL */ `
  id status quantity declineCode payUrl receipt oneTap paidWith
  price { amount currency formatted }
  item { id sku name }
`;

export const CREATE_PURCHASE = /* GraphQL */ `mutation CreatePurchase($input: CreatePurchaseInput!) {
  createPurchase(input: $input) { __typename ... on PurchasePayload { purchase { ${PURCHASE_FIELDS} } } ${ERROR_FIELDS} }
}`;

export const TYPENAME = '{ __typename }';

/** The catalog's first page (its default size, at most 500 items), or the page after the item `$after`. */
export const CATALOG = /* GraphQL */ `query Catalog($gameId: ID!, $after: ID) { catalog(gameId: $gameId, after: $after) { id sku name kind prices { amount currency } } }`;

export const GAME_ITEMS = /* GraphQL */ `query GameItems($id: ID!, $after: String) {
  node(id: $id) { ... on Game { items(first: 50, after: $after) { edges { cursor node { id sku name kind prices { amount currency } } } pageInfo { hasNextPage endCursor } } } }
}`;

export const PURCHASES = /* GraphQL */ `query Purchases($gameId: ID!, $after: String) {
  purchases(gameId: $gameId, first: 50, after: $after) { edges { cursor node { id status quantity price { amount currency } createdAt } } pageInfo { hasNextPage endCursor } }
}`;

const SETUP_ERROR = '... on Error { code message }';

export const SIGN_UP_DEVELOPER = /* GraphQL */ `mutation ($input: SignUpDeveloperInput!) { signUpDeveloper(input: $input) { __typename ... on DeveloperAuthPayload { token } ${SETUP_ERROR} } }`;
export const CREATE_GAME = /* GraphQL */ `mutation ($input: CreateGameInput!) { createGame(input: $input) { __typename ... on CreateGamePayload { secretKey publishableKey game { id } } ${SETUP_ERROR} } }`;
export const DEFINE_CURRENCY = /* GraphQL */ `mutation ($input: DefineCurrencyInput!) { defineCurrency(input: $input) { __typename ${SETUP_ERROR} } }`;
export const CREATE_ITEM = /* GraphQL */ `mutation ($input: CreateItemInput!) { createItem(input: $input) { __typename ... on CreateItemPayload { item { id sku } } ${SETUP_ERROR} } }`;
export const SIGN_UP_PLAYER = /* GraphQL */ `mutation ($input: SignUpPlayerInput!) { signUpPlayer(input: $input) { __typename ... on PlayerAuthPayload { token player { id } } ${SETUP_ERROR} } }`;
export const ADD_CARD = /* GraphQL */ `mutation ($input: AddCardInput!) { addCard(input: $input) { __typename ... on AddCardPayload { card { id } } ${SETUP_ERROR} } }`;
export const AUTHORIZE_GAME = /* GraphQL */ `mutation ($input: AuthorizeGameInput!) { authorizeGame(input: $input) { __typename ... on AuthorizeGamePayload { gameToken } ${SETUP_ERROR} } }`;

export interface GqlResult {
  readonly status: number;
  readonly data: any;
  readonly errors?: { message: string }[];
  readonly text: string;
}

/** One GraphQL request over HTTP. */
export async function gql(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token: string | null = null,
  headers: Record<string, string> = {},
): Promise<GqlResult> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  const json = JSON.parse(text) as { data?: unknown; errors?: { message: string }[] };
  return { status: response.status, data: json.data, errors: json.errors, text };
}

/** A mutation that must answer `typename` for `field`; throws with the body otherwise. */
export async function mustMutate(
  url: string,
  query: string,
  input: Record<string, unknown>,
  token: string | null,
  field: string,
  typename: string,
): Promise<any> {
  const result = await gql(url, query, { input }, token);
  const payload = result.data?.[field];
  if (result.errors || payload?.__typename !== typename) throw new Error(`${field} failed: ${result.text}`);
  return payload;
}
