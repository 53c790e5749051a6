import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../src/shared/ids.js';
import { splitFee } from '../../../src/shared/money.js';
import { postDispute, postRefund } from '../../../src/modules/ledger/index.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { buyTyped, decodeId, setUpGame, setUpPlayer, type GameSetup, type ItemSpec } from '../../helpers/flows.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import { expectLedgerBalanced } from '../../helpers/ledger-check.js';

const Figures = graphql(`
  fragment Figures on SalesFigures @_unmask {
    currency gross { amount } refunds { amount } disputes { amount } platformFees { amount } net { amount }
    sales refundCount disputeCount units
  }
`);
const REPORT = graphql(
  `
  query SalesReport($gameId: ID!, $from: DateTime!, $to: DateTime!) {
    salesReport(gameId: $gameId, from: $from, to: $to) {
      totals { ...Figures }
      items { item { sku } ...Figures }
      days { day ...Figures }
    }
  }
`,
  [Figures],
);

const ITEMS: ItemSpec[] = [
  { sku: 'odd', kind: 'CONSUMABLE', price: '7' },
  { sku: 'cape', kind: 'CONSUMABLE', price: '333' },
  { sku: 'gems', kind: 'CURRENCY_PACK', price: '99', grants: { amount: '100', currency: 'GEM' } },
  { sku: 'shield', kind: 'CONSUMABLE', price: '50', currency: 'GEM' },
];

const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A posted sale as the ledger knows it, to reverse it the way the refund and dispute flows do. */
async function saleOf(
  app: TestApp,
  purchaseId: string,
): Promise<{ gameId: string; amountMinor: number; feeMinor: number; currency: string }> {
  const rows = await app.database.pool!.query(
    `select t.game_id, a.kind, e.amount_minor, e.currency from ledger_transactions t
       join ledger_entries e on e.transaction_id = t.id join ledger_accounts a on a.id = e.account_id
      where t.kind = 'sale' and t.reference = $1`,
    [purchaseId],
  );
  const leg = (kind: string) => Number(rows.rows.find((r) => r.kind === kind)!.amount_minor);
  return {
    gameId: rows.rows[0].game_id,
    amountMinor: leg('acquirer_receivable'),
    feeMinor: -leg('platform_revenue'),
    currency: rows.rows[0].currency,
  };
}

describe('sales report', () => {
  let app: TestApp;
  let game: GameSetup;
  const now = Date.now();

  beforeAll(async () => {
    app = await createTestApp({ env: { WEBHOOK_DISPATCHER: 'off' } });
    game = await setUpGame(app, ITEMS);
  });
  afterAll(() => app?.close());

  it('agrees with the ledger to the minor unit after purchases, refunds and a dispute, per currency, item and day', async () => {
    const buyer = await setUpPlayer(app, game);
    const ids: Record<string, string[]> = { odd: [], cape: [], gems: [] };
    for (const sku of ['odd', 'odd', 'odd', 'cape', 'cape', 'gems'] as const) {
      const res = await buyTyped(app, game, buyer, game.items[sku]!);
      const { purchase } = expectTypename(res.data.createPurchase, 'PurchasePayload');
      expect(purchase.status, JSON.stringify(res.data)).toBe('SUCCEEDED');
      ids[sku]!.push(decodeId(purchase.id));
    }
    // gems bought with the wallet are not real money: they stay out of the report
    const shield = (await buyTyped(app, game, buyer, game.items.shield!)).data.createPurchase;
    expect(expectTypename(shield, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');

    // tomorrow: a full refund of one cape and a partial one of an odd item; the day after: a dispute
    const tomorrow = new Date(now + DAY);
    const later = new Date(now + 2 * DAY);
    const reversals: { kind: 'refund' | 'dispute'; purchaseId: string; amount: number; at: Date }[] = [
      { kind: 'refund', purchaseId: ids.cape![0]!, amount: 333, at: tomorrow },
      { kind: 'refund', purchaseId: ids.odd![0]!, amount: 3, at: tomorrow },
      { kind: 'dispute', purchaseId: ids.gems![0]!, amount: 99, at: later },
    ];
    const returned = { fee: 0, net: 0 };
    await app.deps.db.transaction(async (tx) => {
      for (const r of reversals) {
        const sale = await saleOf(app, r.purchaseId);
        const common = {
          purchaseId: r.purchaseId,
          gameId: sale.gameId,
          currency: sale.currency,
          saleAmountMinor: sale.amountMinor,
          saleFeeMinor: sale.feeMinor,
          at: r.at,
        };
        const result =
          r.kind === 'refund'
            ? await postRefund(tx, { ...common, refundId: newId(), refundMinor: r.amount })
            : await postDispute(tx, { ...common, disputeId: newId(), disputedMinor: r.amount });
        returned.fee += result.feeReturnedMinor;
        returned.net += result.netReturnedMinor;
      }
    });
    await expectLedgerBalanced(app, { gameId: decodeId(game.gameId) });

    const res = await app.gql(
      REPORT,
      { gameId: game.gameId, from: new Date(now - DAY).toISOString(), to: new Date(now + 3 * DAY).toISOString() },
      { token: game.devToken },
    );
    expect(res.errors).toBeUndefined();
    const report = res.data.salesReport;

    // what was sold, independently of the ledger: 3 × 7 + 2 × 333 + 99 at 30 %
    const sales = [7, 7, 7, 333, 333, 99];
    const gross = sales.reduce((a, b) => a + b, 0);
    const fees = sales.reduce((a, b) => a + splitFee(b, 3000).fee, 0);
    expect(report.totals).toEqual([
      {
        currency: 'USD',
        gross: { amount: String(gross) },
        refunds: { amount: '336' },
        disputes: { amount: '99' },
        platformFees: { amount: String(fees - returned.fee) },
        net: { amount: String(gross - fees - returned.net) },
        sales: 6,
        refundCount: 2,
        disputeCount: 1,
        units: 6,
      },
    ]);
    // and the ledger's own balances for this game say the same
    const balances = await app.database.pool!.query(
      `select a.kind, a.balance_minor + coalesce((select sum(b.balance_minor) from ledger_balance_buckets b where b.account_id = a.id), 0) as balance_minor
         from ledger_accounts a where a.game_id = $1 and a.currency = 'USD' and a.player_id is null`,
      [decodeId(game.gameId)],
    );
    const balance = (kind: string) => Number(balances.rows.find((r) => r.kind === kind)?.balance_minor ?? 0);
    const total = report.totals[0]!;
    expect(balance('acquirer_receivable')).toBe(
      Number(total.gross.amount) - Number(total.refunds.amount) - Number(total.disputes.amount),
    );
    expect(-balance('platform_revenue')).toBe(Number(total.platformFees.amount));
    expect(-balance('game_payable')).toBe(Number(total.net.amount));

    const bySku = Object.fromEntries(report.items.map((i) => [i.item.sku, i]));
    expect(Object.keys(bySku).sort()).toEqual(['cape', 'gems', 'odd']);
    expect(bySku.odd).toMatchObject({ units: 3, gross: { amount: '21' }, refunds: { amount: '3' }, refundCount: 1 });
    expect(bySku.cape).toMatchObject({ units: 2, gross: { amount: '666' }, refunds: { amount: '333' } });
    expect(bySku.gems).toMatchObject({
      units: 1,
      gross: { amount: '99' },
      disputes: { amount: '99' },
      net: { amount: '0' },
      platformFees: { amount: '0' },
    });
    for (const field of ['gross', 'refunds', 'disputes', 'platformFees', 'net'] as const) {
      const sum = report.items.reduce((a, i) => a + Number(i[field].amount), 0);
      expect(sum).toBe(Number(total[field].amount));
      const daySum = report.days.reduce((a, d) => a + Number(d[field].amount), 0);
      expect(daySum).toBe(Number(total[field].amount));
    }
    // the sales were posted at the database's time; the reversals at the times given above
    const posted = await app.database.pool!.query(
      `select to_char(max(created_at) at time zone 'UTC', 'YYYY-MM-DD') as day from ledger_transactions where game_id = $1 and kind = 'sale'`,
      [decodeId(game.gameId)],
    );
    expect(report.days.map((d) => [d.day, d.sales, d.refundCount, d.disputeCount])).toEqual([
      [posted.rows[0].day, 6, 0, 0],
      [isoDay(now + DAY), 0, 2, 0],
      [isoDay(now + 2 * DAY), 0, 0, 1],
    ]);

    // a window that ends before the refunds sees only the sales
    const early = await app.gql(
      REPORT,
      { gameId: game.gameId, from: new Date(now - DAY).toISOString(), to: tomorrow.toISOString() },
      { token: game.devToken },
    );
    expect(early.data.salesReport.totals[0]).toMatchObject({
      gross: { amount: String(gross) },
      refunds: { amount: '0' },
      disputes: { amount: '0' },
    });
  });

  it("is for the game's developer, its secret key and operators only, over a sane period", async () => {
    const window = { from: new Date(now - DAY).toISOString(), to: new Date(now + DAY).toISOString() };
    const byKey = await app.gql(REPORT, { gameId: game.gameId, ...window }, { token: game.secretKey });
    expect(byKey.errors).toBeUndefined();
    const byOperator = await app.gql(
      REPORT,
      { gameId: game.gameId, ...window },
      { token: app.config.secrets.operatorToken },
    );
    expect(byOperator.errors).toBeUndefined();
    const other = await setUpGame(app, []);
    const byStranger = await app.gql(REPORT, { gameId: game.gameId, ...window }, { token: other.devToken });
    expect(byStranger.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const player = await setUpPlayer(app, game, { card: null });
    const byPlayer = await app.gql(REPORT, { gameId: game.gameId, ...window }, { token: player.gameToken });
    expect(byPlayer.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const backwards = await app.gql(
      REPORT,
      { gameId: game.gameId, from: window.to, to: window.from },
      { token: game.devToken },
    );
    expect(backwards.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });
});
