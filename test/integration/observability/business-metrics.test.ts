// /metrics carries the business: a purchase, a decline, a refund and an idempotent replay driven
// through the API show up under their bounded labels, typed errors count by code, and promtool
// (Prometheus' own checker) accepts the whole exposition.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { expectTypename } from '../../helpers/graphql.js';
import { buyTyped as buy, CARDS, setUpGame, setUpPlayer, type GameSetup } from '../../helpers/flows.js';
import { refund } from '../refunds/fixtures.js';
import { waitFor } from '../../helpers/processes.js';

/** The value of one sample (`name{labels}`) in an exposition, or 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('business metrics on /metrics', () => {
  let app: TestApp;
  let game: GameSetup;
  const scrape = async () => (await app.app.fetch('http://coinslot.test/metrics')).text();

  beforeAll(async () => {
    app = await createTestApp();
    game = await setUpGame(app);
  });
  afterAll(() => app?.close());

  it('counts purchases by status and path, charge latency, declines, refunds, replays and typed errors', async () => {
    const before = await scrape();
    const buyer = await setUpPlayer(app, game);
    const key = randomUUID();
    const bought = expectTypename(
      (await buy(app, game, buyer, game.items.life!, { key })).data.createPurchase,
      'PurchasePayload',
    );
    expect(bought.purchase.status).toBe('SUCCEEDED');
    // the same request again: replayed from the idempotency store
    const replay = await buy(app, game, buyer, game.items.life!, { key });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const declined = await setUpPlayer(app, game, { card: CARDS.declinesLater });
    const failed = (await buy(app, game, declined, game.items.life!)).data.createPurchase;
    expect(expectTypename(failed, 'CardDeclined').declineCode).toBe('card_declined');
    const refunded = await refund(app, game.secretKey, bought.purchase.id);
    expect(expectTypename(refunded.data.refundPurchase, 'RefundPurchasePayload').refund.status).toBe('SUCCEEDED');

    const after = await scrape();
    const grew = (series: string) => sample(after, series) - sample(before, series);
    expect(grew('coinslot_purchases_total{status="succeeded",path="one_tap"}')).toBe(1);
    expect(grew('coinslot_purchases_total{status="failed",path="one_tap"}')).toBe(1);
    expect(grew('coinslot_purchases_total{status="refunded",path="one_tap"}')).toBe(1);
    expect(grew('coinslot_purchase_declines_total{code="card_declined"}')).toBe(1);
    expect(grew('coinslot_acquirer_charge_duration_seconds_count{outcome="approved"}')).toBe(1);
    expect(grew('coinslot_acquirer_charge_duration_seconds_count{outcome="declined"}')).toBe(1);
    expect(grew('coinslot_refunds_total{outcome="requested"}')).toBe(1);
    expect(grew('coinslot_refunds_total{outcome="succeeded"}')).toBe(1);
    expect(grew('coinslot_idempotency_requests_total{outcome="replayed"}')).toBe(1);
    expect(grew('coinslot_fraud_decisions_total{decision="allow",rule="none"}')).toBeGreaterThanOrEqual(2);
    // a typed error is counted by its code, and its operation is not "ok"
    expect(grew('coinslot_graphql_errors_total{code="card_declined"}')).toBe(1);
    expect(grew('coinslot_graphql_operations_total{operation="createPurchase",outcome="typed_error"}')).toBe(1);
    expect(after).toMatch(/^coinslot_webhook_outbox_backlog \d+$/m);
    // no id in any label
    expect(after).not.toMatch(/(pur|gam|ply|itm|ref)_[0-9a-z]{26}/);
    expect(after).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
  });

  it('labels GraphQL operations by their root field, never by the name the client gave them', async () => {
    const before = await scrape();
    const names = Array.from({ length: 5 }, () => `ClientChosen_${randomUUID().replaceAll('-', '')}`);
    for (const name of names) {
      expect((await app.gql(`query ${name} { __typename }`)).status).toBe(200);
      expect((await app.gql(`query ${name} { me: viewer { __typename } }`)).status).toBe(200);
    }
    const after = await scrape();
    const grew = (series: string) => sample(after, series) - sample(before, series);
    expect(grew('coinslot_graphql_operations_total{operation="introspection",outcome="ok"}')).toBe(5);
    expect(grew('coinslot_graphql_operation_duration_seconds_count{operation="introspection"}')).toBe(5);
    const viewer = [
      ...after.matchAll(/coinslot_graphql_operations_total\{operation="viewer",outcome="[a-z_]+"\} (\d+)/g),
    ];
    expect(viewer.reduce((sum, m) => sum + Number(m[1]), 0)).toBeGreaterThanOrEqual(5);
    for (const name of names) expect(after).not.toContain(name);
  });

  it('passes promtool check metrics', async () => {
    // something in every family first
    await waitFor(async () => (await scrape()).includes('coinslot_purchases_total{'), 5_000, 'purchases counted');
    const text = await scrape();
    let output = '';
    try {
      output = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      const failure = error as { stdout?: string; stderr?: string };
      throw new Error(`promtool check metrics failed:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
    }
    expect(output).toBe('');
  });
});
