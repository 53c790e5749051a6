import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../src/shared/ids.js';
import { grantItem } from '../../../src/modules/inventory/index.js';
import { postSale } from '../../../src/modules/ledger/index.js';
import { creditWallet } from '../../../src/modules/wallet/index.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import {
  createGame,
  createItem,
  defineCurrency,
  itemInput,
  signUpDeveloper,
  signUpPlayer,
  type CreatedGame,
  type Developer,
} from '../catalog/flows.js';
import { decodeId } from '../../helpers/flows.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import { publicId } from '../../../src/shared/public-ids.js';

const INVENTORY = graphql(`
  query LedgerInventory($gameId: ID!, $playerId: ID) { inventory(gameId: $gameId, playerId: $playerId) { quantity item { id name } } }
`);
const WALLET = graphql(`
  query LedgerWallet($gameId: ID!, $playerId: ID) { wallet(gameId: $gameId, playerId: $playerId) { amount currency formatted } }
`);
const CONSUME = graphql(`
  mutation ConsumeItem($input: ConsumeItemInput!) {
    consumeItem(input: $input) {
      __typename
      ... on ConsumeItemPayload { entry { quantity item { id } } }
      ... on InsufficientQuantity { available }
      ... on Error { code message }
    }
  }
`);
const LEDGER = graphql(`
  query Ledger($gameId: ID!) {
    ledger(gameId: $gameId) {
      accounts { id kind currency normalSide balance { amount currency } }
      entries(first: 10) { edges { node { side amount { amount } account { kind } transaction { kind purchaseId } } } }
      violations
    }
  }
`);
const AUTHORIZE_GAME = graphql(`
  mutation LedgerAuthorizeGame($input: AuthorizeGameInput!) {
    authorizeGame(input: $input) { __typename ... on AuthorizeGamePayload { gameToken } ... on Error { message } }
  }
`);
const ENTRIES = graphql(`
  query LedgerEntries($gameId: ID!, $purchaseId: ID) {
    ledger(gameId: $gameId) {
      entries(first: 10, purchaseId: $purchaseId) {
        __typename
        edges { __typename node { id transaction { id kind purchaseId } } }
      }
    }
  }
`);
const NODE = graphql(`
  query LedgerNodes($id: ID!, $ids: [ID!]!) {
    node(id: $id) {
      __typename id
      ... on LedgerTransaction { kind purchaseId entries { id side amount { amount } } }
    }
    nodes(ids: $ids) { __typename id ... on LedgerEntry { side amount { amount } transaction { id } } }
  }
`);

const raw = (globalId: string) => decodeId(globalId);

describe('inventory, wallet and ledger over GraphQL', () => {
  let app: TestApp;
  let developer: Developer;
  let game: CreatedGame;
  let potionId: string;
  let player: { token: string; id: string };

  beforeAll(async () => {
    app = await createTestApp();
    developer = await signUpDeveloper(app);
    game = await createGame(app, developer);
    await defineCurrency(app, developer, game.id, 'GEM', 'Gems');
    potionId = (await createItem(app, developer, itemInput(game.id))).id;
    player = await signUpPlayer(app);
    const db = app.database.db;
    await grantItem(db, {
      gameId: raw(game.id),
      playerId: raw(player.id),
      itemId: raw(potionId),
      kind: 'CONSUMABLE',
      quantity: 3,
      purchaseId: newId(),
    });
    await creditWallet(db, {
      gameId: raw(game.id),
      playerId: raw(player.id),
      currency: 'GEM',
      amountMinor: 250,
      reason: 'currency_pack',
      purchaseId: newId(),
    });
  });
  afterAll(() => app.close());

  it("shows a player's inventory to their session and, naming them, to the game's secret key, not to the publishable key", async () => {
    const own = await app.gql(INVENTORY, { gameId: game.id }, { token: player.token });
    expect(own.data.inventory).toEqual([{ quantity: 3, item: { id: potionId, name: 'Health potion' } }]);
    const bySecret = await app.gql(INVENTORY, { gameId: game.id, playerId: player.id }, { token: game.secretKey });
    expect(bySecret.data.inventory).toEqual(own.data.inventory);
    const byPublishable = await app.gql(
      INVENTORY,
      { gameId: game.id, playerId: player.id },
      { token: game.publishableKey },
    );
    expect(byPublishable.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('shows the wallet in every game currency', async () => {
    const wallet = await app.gql(WALLET, { gameId: game.id }, { token: player.token });
    expect(wallet.data.wallet).toEqual([{ amount: '250', currency: 'GEM', formatted: '250 GEM' }]);
  });

  it('consumes with the secret key once per idempotency key and never below zero', async () => {
    const input = { playerId: player.id, itemId: potionId, quantity: 2, idempotencyKey: newId() };
    const first = await app.gql(CONSUME, { input }, { token: game.secretKey });
    expect(first.data.consumeItem).toEqual({
      __typename: 'ConsumeItemPayload',
      entry: { quantity: 1, item: { id: potionId } },
    });
    const replay = await app.gql(CONSUME, { input }, { token: game.secretKey });
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const tooMany = await app.gql(CONSUME, { input: { ...input, idempotencyKey: newId() } }, { token: game.secretKey });
    expect(tooMany.data.consumeItem).toMatchObject({
      __typename: 'InsufficientQuantity',
      code: 'INSUFFICIENT_QUANTITY',
      available: 1,
    });
    const inventory = await app.gql(INVENTORY, { gameId: game.id }, { token: player.token });
    expect(inventory.data.inventory[0]?.quantity).toBe(1);
  });

  it("lets the player's game token use up its own units, once per key, without naming the player", async () => {
    const authorized = await app.gql(
      AUTHORIZE_GAME,
      {
        input: {
          gameId: game.id,
          oneTapMax: { amount: '0', currency: 'USD' },
          dailyCap: { amount: '0', currency: 'USD' },
        },
      },
      { token: player.token },
    );
    const gameToken = expectTypename(authorized.data.authorizeGame, 'AuthorizeGamePayload').gameToken;
    expect(gameToken).toMatch(/^gt_/);
    if (gameToken === null) throw new Error('authorizeGame answered without a game token');
    const before = (await app.gql(INVENTORY, { gameId: game.id }, { token: gameToken })).data.inventory[0]!.quantity;
    const input = { itemId: potionId, quantity: 1, idempotencyKey: newId() };
    const first = await app.gql(CONSUME, { input }, { token: gameToken });
    expect(first.data.consumeItem).toEqual({
      __typename: 'ConsumeItemPayload',
      entry: { quantity: before - 1, item: { id: potionId } },
    });
    const replay = await app.gql(CONSUME, { input }, { token: gameToken });
    expect(expectTypename(replay.data.consumeItem, 'ConsumeItemPayload').entry.quantity).toBe(before - 1);
    const other = await signUpPlayer(app);
    const someoneElse = await app.gql(
      CONSUME,
      { input: { ...input, playerId: other.id, idempotencyKey: newId() } },
      { token: gameToken },
    );
    expect(someoneElse.data.consumeItem).toMatchObject({ __typename: 'NotFound' });
    const inventory = await app.gql(INVENTORY, { gameId: game.id }, { token: player.token });
    expect(inventory.data.inventory[0]?.quantity ?? 0).toBe(before - 1);
  });

  it("answers NotFound to another game's secret key and refuses a consumption without an idempotency key", async () => {
    const other = await createGame(app, developer);
    const input = { playerId: player.id, itemId: potionId, quantity: 1, idempotencyKey: newId() };
    const wrongGame = await app.gql(CONSUME, { input }, { token: other.secretKey });
    expect(wrongGame.data.consumeItem).toMatchObject({ __typename: 'NotFound', code: 'NOT_FOUND' });
    const { idempotencyKey: _omitted, ...withoutKey } = input;
    // printed to a string: these variables deliberately lack the required idempotencyKey
    const noKey = await app.gql(print(CONSUME), { input: withoutKey }, { token: game.secretKey });
    expect(noKey.errors?.[0]?.message).toMatch(/idempotencyKey/);
    const asPlayer = await app.gql(CONSUME, { input }, { token: player.token });
    expect(asPlayer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it("gives the developer their game's ledger and another developer nothing", async () => {
    const purchaseId = newId();
    await postSale(app.database.db, {
      purchaseId,
      gameId: raw(game.id),
      amountMinor: 99,
      currency: 'USD',
      feeBps: 3000,
    });
    const ledger = await app.gql(LEDGER, { gameId: game.id }, { token: developer.token });
    expect(ledger.errors).toBeUndefined();
    const balances = Object.fromEntries(
      ledger.data.ledger.accounts.filter((a) => a.currency === 'USD').map((a) => [a.kind, a.balance.amount]),
    );
    expect(balances).toEqual({ ACQUIRER_RECEIVABLE: '99', GAME_PAYABLE: '69', PLATFORM_REVENUE: '30' });
    const saleLegs = ledger.data.ledger.entries.edges.map((e) => e.node).filter((n) => n.transaction.kind === 'SALE');
    expect(saleLegs).toHaveLength(3);
    expect(
      saleLegs.every((n) => n.transaction.purchaseId !== null && raw(n.transaction.purchaseId) === purchaseId),
    ).toBe(true);
    expect(ledger.data.ledger.violations).toEqual([]);

    const stranger = await signUpDeveloper(app, 'stranger');
    const denied = await app.gql(LEDGER, { gameId: game.id }, { token: stranger.token });
    expect(denied.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const asGame = await app.gql(LEDGER, { gameId: game.id }, { token: game.secretKey });
    expect(asGame.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('makes ledger entries and postings Nodes with their own ids, for the same readers as the ledger', async () => {
    const purchaseId = newId();
    await postSale(app.database.db, {
      purchaseId,
      gameId: raw(game.id),
      amountMinor: 250,
      currency: 'USD',
      feeBps: 3000,
    });
    const listed = await app.gql(
      ENTRIES,
      { gameId: game.id, purchaseId: publicId('Purchase', purchaseId) },
      { token: developer.token },
    );
    expect(listed.errors).toBeUndefined();
    const connection = listed.data.ledger.entries;
    expect(connection.__typename).toBe('LedgerEntryConnection');
    expect(connection.edges[0]?.__typename).toBe('LedgerEntryEdge');
    const legs = connection.edges.map((e) => e.node);
    expect(legs).toHaveLength(3);
    for (const leg of legs) expect(leg.id).toMatch(/^len_[0-9a-z]{26}$/);
    const postingId: string = legs[0]!.transaction.id;
    expect(postingId).toMatch(/^ltx_[0-9a-z]{26}$/);
    expect(new Set(legs.map((l) => l.transaction.id))).toEqual(new Set([postingId]));

    const ids = legs.map((l) => l.id);
    const asDeveloper = await app.gql(NODE, { id: postingId, ids }, { token: developer.token });
    expect(asDeveloper.errors).toBeUndefined();
    const posting = expectTypename(asDeveloper.data.node, 'LedgerTransaction');
    expect(posting).toMatchObject({ __typename: 'LedgerTransaction', id: postingId, kind: 'SALE' });
    expect(posting.purchaseId && raw(posting.purchaseId)).toBe(purchaseId);
    expect(posting.entries.map((e) => e.id).sort()).toEqual([...ids].sort());
    // the legs of a sale: debit 250, credits 175 and 75, summing to zero
    const signed = posting.entries.map((e) =>
      e.side === 'DEBIT' ? Number(e.amount.amount) : -Number(e.amount.amount),
    );
    expect(signed.reduce((a, b) => a + b, 0)).toBe(0);
    expect(asDeveloper.data.nodes).toHaveLength(3);
    for (const [i, entry] of asDeveloper.data.nodes.entries()) {
      expect(entry).toMatchObject({ __typename: 'LedgerEntry', id: ids[i], transaction: { id: postingId } });
    }
    const asOperator = await app.gql(NODE, { id: postingId, ids }, { token: app.config.secrets.operatorToken });
    expect(asOperator.data.node?.id).toBe(postingId);

    // another developer, the game's own keys and the player see nothing of it
    const stranger = await signUpDeveloper(app, 'ledger-stranger');
    for (const token of [stranger.token, game.secretKey, player.token]) {
      const denied = await app.gql(NODE, { id: postingId, ids: [ids[0]!] }, { token });
      expect(denied.data?.node ?? null).toBeNull();
      expect(denied.data?.nodes?.[0] ?? null).toBeNull();
    }
  });
});
