// Every GraphQL document of the pay sheet.
import { graphql } from './graphql.js';

export const CardFields = graphql(`
  fragment CardFields on Card @_unmask {
    id
    brand
    last4
    expMonth
    expYear
    isDefault
  }
`);

export const MeQuery = graphql(
  `
  query PayMe {
    viewer { kind player { id displayName } cards { ...CardFields } }
  }
`,
  [CardFields],
);

export const GameQuery = graphql(`
  query PayGame($id: ID!) {
    game(id: $id) { id name defaultCurrency }
  }
`);

export const SignUpMutation = graphql(`
  mutation PaySignUp($input: SignUpPlayerInput!) {
    signUpPlayer(input: $input) {
      __typename
      ... on PlayerAuthPayload { token player { displayName } }
      ... on Error { message code }
      ... on RetryableError { retryAfterSeconds }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`);

export const LogInMutation = graphql(`
  mutation PayLogIn($input: LogInInput!) {
    logInPlayer(input: $input) {
      __typename
      ... on PlayerAuthPayload { token player { displayName } }
      ... on Error { message code }
      ... on RetryableError { retryAfterSeconds }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`);

export const AddCardMutation = graphql(
  `
  mutation PayAddCard($input: AddCardInput!) {
    addCard(input: $input) {
      __typename
      ... on AddCardPayload { card { ...CardFields } }
      ... on Error { message code }
      ... on RetryableError { retryAfterSeconds }
      ... on CardInvalid { field reason }
      ... on CardDeclined { declineCode }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`,
  [CardFields],
);

export const SetDefaultCardMutation = graphql(
  `
  mutation PaySetDefaultCard($input: SetDefaultCardInput!) {
    setDefaultCard(input: $input) {
      __typename
      ... on SetDefaultCardPayload { card { ...CardFields } }
      ... on Error { message code }
    }
  }
`,
  [CardFields],
);

/** The player's current allowances, so reconnecting a game shows what it has now, not the defaults. */
export const CurrentAllowancesQuery = graphql(`
  query PayCurrentAllowances {
    viewer {
      authorizations(first: 100) {
        edges { node { game { id } oneTapMax { amount currency formatted } dailyCap { amount currency formatted } } }
      }
    }
  }
`);

export const AuthorizeGameMutation = graphql(`
  mutation PayAuthorizeGame($input: AuthorizeGameInput!) {
    authorizeGame(input: $input) {
      __typename
      ... on AuthorizeGamePayload { gameToken redirectTo authorization { id oneTapMax { formatted } dailyCap { formatted } } }
      ... on Error { message code }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`);

export const PurchaseFields = graphql(`
  fragment PayPurchaseFields on Purchase @_unmask {
    id
    status
    quantity
    declineCode
    requiresActionReason
    confirmationReason
    expiresAt
    paidWith
    price { amount currency formatted }
    refunded { amount currency formatted }
    item { id name description }
    game { id name }
    card { brand last4 }
  }
`);

/** The purchase, and the player's allowances (to say why a confirmation is asked, in the game's own limits). */
export const PurchaseQuery = graphql(
  `
  query PayPurchase($id: ID!) {
    purchase(id: $id) { ...PayPurchaseFields }
    viewer {
      authorizations(first: 50) {
        edges { node { game { id } oneTapMax { amount currency formatted } dailyCap { amount currency formatted } } }
      }
    }
  }
`,
  [PurchaseFields],
);

export const ConfirmPurchaseMutation = graphql(
  `
  mutation PayConfirmPurchase($input: ConfirmPurchaseInput!) {
    confirmPurchase(input: $input) {
      __typename
      ... on PurchasePayload { purchase { ...PayPurchaseFields } }
      ... on Error { message code }
      ... on RetryableError { retryAfterSeconds }
      ... on CardDeclined { declineCode purchaseId }
      ... on PriceChanged { currentPrice { amount currency formatted } }
      ... on RiskBlocked { rulesFired }
    }
  }
`,
  [PurchaseFields],
);

export const LogOutMutation = graphql(`
  mutation PayLogOut {
    logOut
  }
`);

export const CancelPurchaseMutation = graphql(`
  mutation PayCancelPurchase($input: CancelPurchaseInput!) {
    cancelPurchase(input: $input) {
      __typename
      ... on Error { message code }
    }
  }
`);
