// What one one-tap purchase costs, measured in one process (API and sandbox acquirer together, driven
// through app.fetch): SQL statements per purchase (every pg query counted), then Node CPU and wall time
// per purchase over N sequential purchases. Sequential and in-process, so it compares two commits on a
// busy machine better than throughput does. It reuses the test helpers (createTestApp, flows) to set up.
// Run: `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> npx tsx bench/purchase-cost.bench.ts [N]`
import pg from 'pg';
import { createTestApp } from '../test/helpers/test-app.js';
import { buyTyped as buy, setUpGame, setUpPlayer } from '../test/helpers/flows.js';
import { isTypename } from '../test/helpers/graphql.js';

const app = await createTestApp({ env: { BACKGROUND_JOBS: 'false' } });
const game = await setUpGame(app);
const n = Number(process.argv[2] ?? 200);
// Enough players that no velocity rule (purchases per player per minute) fires.
const players = await Promise.all(
  Array.from({ length: Math.max(40, Math.ceil((n + 41) / 5)) }, () =>
    setUpPlayer(app, game, { oneTapMax: '1000', dailyCap: '1000000' }),
  ),
);
const item = game.items.life!;
let next = 0;
async function purchase(): Promise<void> {
  const res = await buy(app, game, players[next++ % players.length]!, item);
  const answer = res.data?.createPurchase;
  if (!isTypename(answer, 'PurchasePayload') || answer.purchase.status !== 'SUCCEEDED')
    throw new Error(`purchase failed: ${res.text}`);
}

for (let i = 0; i < players.length; i++) await purchase();

const statements: string[] = [];
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
  const text = typeof config === 'string' ? config : ((config as { text?: string })?.text ?? '');
  statements.push(((config as { name?: string })?.name ? 'prepared ' : '') + text.replace(/\s+/g, ' ').slice(0, 100));
  return (query as (...args: unknown[]) => unknown).call(this, config, ...rest);
} as typeof query;
await purchase();
pg.Client.prototype.query = query;
const prepared = statements.filter((s) => s.startsWith('prepared ')).length;
console.log(
  `SQL statements in one one-tap purchase: ${statements.length} (${prepared} prepared); the purchase's answer included`,
);
if (process.env.SHOW_STATEMENTS) for (const [i, s] of statements.entries()) console.log(String(i + 1).padStart(3), s);

const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < n; i++) await purchase();
const wall = (performance.now() - t0) / n;
const cpu = process.cpuUsage(cpu0);
console.log(
  `${n} sequential one-tap purchases: wall ${wall.toFixed(2)} ms, Node CPU ${((cpu.user + cpu.system) / 1000 / n).toFixed(2)} ms per purchase`,
);
await app.close();
process.exit(0);
