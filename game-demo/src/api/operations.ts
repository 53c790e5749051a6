// Every GraphQL document the game sends, in one place, typed against Coinslot's schema.
import { graphql } from './graphql.js';

export const ItemFields = graphql(`
  fragment ItemFields on Item @_unmask {
    id
    sku
    name
    description
    kind
    prices { amount currency formatted }
    grants { amount currency formatted }
  }
`);

export const CatalogQuery = graphql(
  `
  query Catalog($gameId: ID!) {
    catalog(gameId: $gameId) { ...ItemFields }
  }
`,
  [ItemFields],
);

/** Wallet and inventory: only with a player's game token. */
export const PlayerStateQuery = graphql(
  `
  query PlayerState($gameId: ID!) {
    viewer { kind player { id displayName } }
    wallet(gameId: $gameId) { amount currency formatted }
    inventory(gameId: $gameId) { quantity item { ...ItemFields } }
  }
`,
  [ItemFields],
);

export const PurchaseFields = graphql(
  `
  fragment PurchaseFields on Purchase @_unmask {
    id
    status
    quantity
    declineCode
    payUrl
    isGift
    requiresActionReason
    price { amount currency formatted }
    item { ...ItemFields }
  }
`,
  [ItemFields],
);

export const CreatePurchaseMutation = graphql(
  `
  mutation CreatePurchase($input: CreatePurchaseInput!) {
    createPurchase(input: $input) {
      __typename
      ... on PurchasePayload { purchase { ...PurchaseFields } }
      ... on Error { message code }
      ... on RetryableError { retryable retryAfterSeconds }
      ... on PriceChanged { currentPrice { amount currency formatted } }
      ... on CardDeclined { declineCode purchaseId }
      ... on RiskBlocked { rulesFired }
      ... on InsufficientFunds { balance { amount currency formatted } }
      ... on OutOfStock { available }
    }
  }
`,
  [PurchaseFields],
);

/** The player left the pay sheet without paying: the waiting purchase ends now (its stock and limit come back). */
export const CancelPurchaseMutation = graphql(
  `
  mutation CancelPurchase($input: CancelPurchaseInput!) {
    cancelPurchase(input: $input) {
      __typename
      ... on PurchasePayload { purchase { ...PurchaseFields } }
      ... on Error { message code }
    }
  }
`,
  [PurchaseFields],
);

export const PurchaseQuery = graphql(
  `
  query Purchase($id: ID!) {
    purchase(id: $id) { ...PurchaseFields }
  }
`,
  [PurchaseFields],
);

export const PurchaseUpdatedSubscription = graphql(
  `
  subscription PurchaseUpdated($id: ID!) {
    purchaseUpdated(id: $id) { ...PurchaseFields }
  }
`,
  [PurchaseFields],
);

/** Uses up units the player holds (their own, with the game token); one key per intended use. */
export const ConsumeItemMutation = graphql(
  `
  mutation ConsumeItem($input: ConsumeItemInput!) {
    consumeItem(input: $input) {
      __typename
      ... on ConsumeItemPayload { entry { quantity item { id } } }
      ... on InsufficientQuantity { available }
      ... on Error { message code }
      ... on RetryableError { retryable retryAfterSeconds }
    }
  }
`,
);
