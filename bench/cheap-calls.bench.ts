// What the two "cheap calls" of issue 18 (item 3) cost in Node CPU per call, the old way against the new:
// - the acquirer HTTP call: undici `fetch` + `AbortSignal.timeout` (the client before 6061afe) against
//   `undici.request` with one plain timer bounding the attempt (the client now), both on a
//   keep-alive Agent, posting a charge with the client's headers to a stub acquirer in a process of its
//   own (so only the client's CPU is counted) that answers a charge; then the whole
//   HttpAcquirer.charge (JSON and zod parsing, retry bookkeeping) as it runs in a purchase.
// - the receipt: jose's SignJWT over WebCrypto (the signer before 9ab2b47) against signReceipt
//   (node:crypto.sign, ieee-p1363), after checking that both produce the same header and payload for the
//   same facts and that jose verifies both against the published JWKS.
// Sequential calls; rounds of each variant interleaved, so that a busy machine slows them alike; the
// range over rounds is printed. Run: `npx tsx bench/cheap-calls.bench.ts [calls-per-round] [rounds]`.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { compactVerify, createLocalJWKSet, importJWK, jwtVerify, SignJWT } from 'jose';
import { Agent, fetch, request } from 'undici';
import { createHttpAcquirer } from '../src/adapters/acquirer/http-acquirer.js';
import {
  receiptJwks,
  RECEIPT_TYPE,
  receiptIssuer,
  signReceipt,
  type ReceiptFacts,
} from '../src/modules/receipts/index.js';
import { publicId } from '../src/shared/public-ids.js';
import { newReceiptSigningJwk } from '../src/shared/receipt-signing-key.js';

export interface CallCost {
  readonly name: string;
  /** Node CPU (user + system) per call, ms, one figure per round. */
  readonly cpuMs: number[];
  readonly wallMs: number[];
}

/** A stub acquirer in its own process: keep-alive, reads the body, answers an approved charge. */
async function startStubAcquirer(): Promise<{ url: string; child: ChildProcess }> {
  const script = `
    const http = require('node:http');
    const answer = JSON.stringify({ chargeId: 'ch_bench', status: 'approved', risk: 'normal', amountMinor: 199,
      currency: 'USD', refundedMinor: 0, idempotencyKey: 'bench' });
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
        res.end(answer);
      });
    });
    server.keepAliveTimeout = 5000;
    server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}`, child };
}

async function measure(run: () => Promise<unknown>, calls: number): Promise<{ cpuMs: number; wallMs: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await run();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000 / calls, wallMs: wall / calls };
}

async function rounds(cases: [string, () => Promise<unknown>][], calls: number, count: number): Promise<CallCost[]> {
  const results = cases.map(([name]) => ({ name, cpuMs: [] as number[], wallMs: [] as number[] }));
  for (const [, run] of cases) for (let i = 0; i < Math.min(300, calls); i++) await run();
  for (let round = 0; round < count; round++) {
    // Each round starts with another variant, so that none always inherits the garbage of the one before.
    for (let k = 0; k < cases.length; k++) {
      const i = (k + round) % cases.length;
      const { cpuMs, wallMs } = await measure(cases[i]![1], calls);
      results[i]!.cpuMs.push(cpuMs);
      results[i]!.wallMs.push(wallMs);
    }
  }
  return results;
}

/** The acquirer call, before (fetch) and after (request), and the whole client call. */
export async function benchAcquirerCall(calls = 2000, count = 5): Promise<CallCost[]> {
  const { url, child } = await startStubAcquirer();
  const agent = new Agent({ connect: { timeout: 2_000 }, keepAliveTimeout: 4_000 });
  const acquirer = createHttpAcquirer({ baseUrl: url, secret: 'bench-secret', timeoutMs: 10_000 });
  try {
    let n = 0;
    const attempt = () => {
      const deadline = Date.now() + 10_000;
      return {
        url: `${url}/v1/charges`,
        headers: {
          authorization: 'Bearer bench-secret',
          accept: 'application/json',
          'acquirer-deadline': String(deadline),
          'content-type': 'application/json',
          'idempotency-key': `bench-${n++}`,
        },
        body: JSON.stringify({ token: 'tok_bench', amountMinor: 199, currency: 'USD' }),
        budget: Math.max(1, deadline - Date.now()),
      };
    };
    return await rounds(
      [
        [
          'acquirer call: undici fetch + AbortSignal.timeout (before)',
          async () => {
            const a = attempt();
            const response = await fetch(a.url, {
              method: 'POST',
              headers: a.headers,
              body: a.body,
              signal: AbortSignal.timeout(a.budget),
              dispatcher: agent,
            });
            if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
            return response.text();
          },
        ],
        [
          'acquirer call: undici.request + one timer per attempt (now)',
          async () => {
            const a = attempt();
            const abort = new EventEmitter();
            const timer = setTimeout(() => abort.emit('abort'), a.budget);
            try {
              const response = await request(a.url, {
                method: 'POST',
                headers: a.headers,
                body: a.body,
                headersTimeout: a.budget,
                bodyTimeout: a.budget,
                signal: abort,
                dispatcher: agent,
              });
              if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}`);
              return await response.body.text();
            } finally {
              clearTimeout(timer);
            }
          },
        ],
        [
          'HttpAcquirer.charge, the whole client call (now)',
          () =>
            acquirer.charge({ token: 'tok_bench', amountMinor: 199, currency: 'USD', idempotencyKey: `bench-${n++}` }),
        ],
      ],
      calls,
      count,
    );
  } finally {
    await acquirer.close();
    await agent.close();
    child.kill();
  }
}

/** The receipt signer before 9ab2b47: jose's SignJWT with a WebCrypto key, the same header and claims. */
async function joseSigner(jwk: Record<string, unknown>, config: ReceiptConfig) {
  const key = await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d } as never, 'ES256');
  return (facts: ReceiptFacts, now: Date): Promise<string> => {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const ids = {
      purchase: publicId('Purchase', facts.purchaseId),
      game: publicId('Game', facts.gameId),
      player: publicId('Player', facts.playerId),
    };
    const purchase = {
      id: ids.purchase,
      gameId: ids.game,
      playerId: ids.player,
      buyerId: facts.buyerId ? publicId('Player', facts.buyerId) : ids.player,
      itemId: publicId('Item', facts.itemId),
      sku: facts.sku ?? null,
      quantity: facts.quantity,
      price: { amount: String(facts.amountMinor), currency: facts.currency },
      status: facts.status,
      purchasedAt: facts.purchasedAt.toISOString(),
    };
    return new SignJWT({ purchase })
      .setProtectedHeader({ alg: 'ES256', kid: jwk.kid as string, typ: RECEIPT_TYPE })
      .setIssuer(receiptIssuer({ config }))
      .setSubject(ids.purchase)
      .setAudience(ids.game)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + Math.floor(config.RECEIPT_TTL / 1000))
      .sign(key);
  };
}

type ReceiptDeps = Parameters<typeof signReceipt>[0];
type ReceiptConfig = ReceiptDeps['config'];

/** The receipt, before (jose + WebCrypto) and after (node:crypto), after checking they are the same JWS. */
export async function benchReceipt(calls = 2000, count = 5): Promise<CallCost[]> {
  const jwk = newReceiptSigningJwk();
  const config = {
    PUBLIC_URL: 'https://coinslot.example',
    RECEIPT_TTL: 365 * 24 * 3600 * 1000,
    secrets: { receiptSigningKeys: JSON.stringify([jwk]) },
  } as unknown as ReceiptConfig;
  const now = new Date();
  const deps: ReceiptDeps = { config, clock: { now: () => now } } as ReceiptDeps;
  const facts: ReceiptFacts = {
    purchaseId: crypto.randomUUID(),
    gameId: crypto.randomUUID(),
    playerId: crypto.randomUUID(),
    itemId: crypto.randomUUID(),
    sku: 'gems-500',
    quantity: 2,
    amountMinor: 998,
    currency: 'USD',
    status: 'SUCCEEDED',
    purchasedAt: now,
  };
  const before = await joseSigner(jwk as unknown as Record<string, unknown>, config);
  const old = await before(facts, now);
  const current = await signReceipt(deps, facts);
  const signed = (jws: string) => jws.split('.').slice(0, 2).join('.');
  if (signed(old) !== signed(current)) throw new Error(`not the same JWS:\n${old}\n${current}`);
  const keys = createLocalJWKSet(await receiptJwks(deps));
  for (const jws of [old, current]) {
    await compactVerify(jws, keys);
    await jwtVerify(jws, keys, { issuer: 'https://coinslot.example', typ: RECEIPT_TYPE });
  }
  return rounds(
    [
      ['receipt: jose SignJWT over WebCrypto (before)', () => before(facts, now)],
      ['receipt: signReceipt with node:crypto.sign (now)', () => signReceipt(deps, facts)],
    ],
    calls,
    count,
  );
}

function range(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `${sorted[0]!.toFixed(3)}–${sorted.at(-1)!.toFixed(3)} (median ${median.toFixed(3)})`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const calls = Number(process.argv[2] ?? 2000);
  const count = Number(process.argv[3] ?? 5);
  const results = [...(await benchAcquirerCall(calls, count)), ...(await benchReceipt(calls, count))];
  console.log(`${calls} sequential calls per round, ${count} rounds; ms per call, min–max over rounds`);
  for (const r of results) {
    console.log(`${r.name.padEnd(62)} Node CPU ${range(r.cpuMs)}  wall ${range(r.wallMs)}`);
  }
}
