import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepSaleAccounts, knownSaleAccounts } from '../../../src/modules/ledger/index.js';
import { expectTypename } from '../../helpers/graphql.js';
import { buyTyped, decodeId, setUpGame, setUpPlayer, type GameSetup } from '../../helpers/flows.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

/**
 * Phase 3 posts a card sale to the game's three sale accounts, whose ids this process keeps once a
 * settlement committed with them (issue 18: they never change, so settle_purchase need not look them
 * up). That they are kept, used, and dropped when a settlement with them failed.
 */
describe("a game's sale accounts, kept by the process for phase 3", () => {
  let app: TestApp;
  let game: GameSetup;
  let gameId: string;

  beforeAll(async () => {
    // No recovery loop: a purchase whose settlement failed stays PROCESSING for the test to see.
    app = await createTestApp({ env: { BACKGROUND_JOBS: 'false' } });
    game = await setUpGame(app, [{ sku: 'life', kind: 'CONSUMABLE', price: '99' }]);
    gameId = decodeId(game.gameId);
  }, 60_000);
  afterAll(() => app?.close());

  /** The game's sale accounts in USD as the ledger has them, in the order settle_purchase takes them. */
  async function saleAccounts(): Promise<string[]> {
    const { rows } = await app.database.pool!.query<{ kind: string; id: string }>(
      `select kind, id from ledger_accounts where game_id = $1 and player_id is null and currency = 'USD'
        and kind in ('acquirer_receivable', 'game_payable', 'platform_revenue')`,
      [gameId],
    );
    const byKind = new Map(rows.map((r) => [r.kind, r.id]));
    return ['acquirer_receivable', 'game_payable', 'platform_revenue'].map((kind) => byKind.get(kind)!);
  }

  async function buy() {
    const player = await setUpPlayer(app, game);
    return buyTyped(app, game, player, game.items.life!);
  }

  it('keeps them after the first sale, posts the next sales with those it keeps, and drops them when one fails', async () => {
    const db = app.deps.db;
    expect(knownSaleAccounts(db, gameId, 'USD')).toBeNull();
    const first = await buy();
    expect(expectTypename(first.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    const accounts = await saleAccounts();
    expect(accounts.every((id) => typeof id === 'string')).toBe(true);
    expect(knownSaleAccounts(db, gameId, 'USD')).toEqual(accounts);

    // Ids that name no account: the next settlement uses them (and fails on the ledger's foreign key)…
    keepSaleAccounts(db, gameId, 'USD', [randomUUID(), randomUUID(), randomUUID()]);
    const failed = await buy();
    expect(failed.data.createPurchase).toMatchObject({ __typename: 'ServiceUnavailable' });
    const { rows } = await app.database.pool!.query<{ status: string }>(
      `select status from purchases where game_id = $1 order by created_at`,
      [gameId],
    );
    expect(rows.map((r) => r.status)).toEqual(['SUCCEEDED', 'PROCESSING']);
    // …and forgets them: the one after looks them up again, settles, and keeps the real ones.
    expect(knownSaleAccounts(db, gameId, 'USD')).toBeNull();
    const third = await buy();
    expect(expectTypename(third.data.createPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
    expect(knownSaleAccounts(db, gameId, 'USD')).toEqual(accounts);
  });
});
