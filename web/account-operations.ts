// GraphQL documents of the account page (/account): everything the consent screen promises to let the player change.
import { graphql } from './graphql.js';
import { CardFields } from './operations.js';

const MoneyFields = graphql(`
  fragment AccountMoney on Money @_unmask { amount currency formatted }
`);

export const AuthorizationFields = graphql(
  `
  fragment AccountAuthorization on GameAuthorization @_unmask {
    id
    createdAt
    game { id name }
    oneTapMax { ...AccountMoney }
    dailyCap { ...AccountMoney }
  }
`,
  [MoneyFields],
);

export const HistoryFields = graphql(
  `
  fragment AccountPurchase on Purchase @_unmask {
    id
    status
    quantity
    isGift
    createdAt
    receipt
    declineCode
    paidWith
    price { ...AccountMoney }
    refunded { ...AccountMoney }
    item { name }
    game { name }
    player { id }
    recipient { id }
    card { brand last4 }
  }
`,
  [MoneyFields],
);

export const AccountQuery = graphql(
  `
  query Account {
    viewer {
      kind
      player { id displayName email }
      cards { ...CardFields }
      authorizations(first: 20) { edges { node { ...AccountAuthorization } } }
      purchases(first: 10) { edges { node { ...AccountPurchase } } pageInfo { hasNextPage endCursor } }
    }
  }
`,
  [CardFields, AuthorizationFields, HistoryFields],
);

export const MorePurchasesQuery = graphql(
  `
  query AccountMorePurchases($after: String) {
    viewer { purchases(first: 10, after: $after) { edges { node { ...AccountPurchase } } pageInfo { hasNextPage endCursor } } }
  }
`,
  [HistoryFields],
);

export const RemoveCardMutation = graphql(`
  mutation AccountRemoveCard($input: RemoveCardInput!) {
    removeCard(input: $input) {
      __typename
      ... on Error { message code }
    }
  }
`);

export const UpdateAllowanceMutation = graphql(
  `
  mutation AccountUpdateAllowance($input: UpdateGameAuthorizationInput!) {
    updateGameAuthorization(input: $input) {
      __typename
      ... on UpdateGameAuthorizationPayload { authorization { ...AccountAuthorization } }
      ... on ValidationError { fieldErrors { path message } }
      ... on Error { message code }
    }
  }
`,
  [AuthorizationFields],
);

export const RevokeGameMutation = graphql(`
  mutation AccountRevokeGame($input: RevokeGameAuthorizationInput!) {
    revokeGameAuthorization(input: $input) {
      __typename
      ... on Error { message code }
    }
  }
`);

export const LogOutEverywhereMutation = graphql(`
  mutation AccountLogOutEverywhere {
    logOutEverywhere
  }
`);
