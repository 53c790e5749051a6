// A Redis Cluster master dies and its replica takes over without the master's last writes (Redis
// replicates asynchronously): the idempotency record of a purchase just made is lost. The retry,
// sent to another instance, finds no key, runs createPurchase again and is answered with the first
// purchase by the database's unique (game, player, idempotency key) index, charged once. And the
// instance that was connected to the dead master keeps serving the slots its replica took over.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import { chargesFor, livingCharges } from '../../helpers/charges.js';
import { createPurchaseDocument, decodeId, setUpGame, setUpPlayer } from '../../helpers/flows.js';
import { expectTypename, isTypename } from '../../helpers/graphql.js';
import { expectLedgerBalanced } from '../../helpers/ledger-check.js';
import { waitFor } from '../../helpers/processes.js';
import { LocalRedisCluster, redisCli, type ClusterNode } from '../../helpers/redis-cluster.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

describe('purchases across a Redis Cluster failover', () => {
  let cluster: LocalRedisCluster;
  let env: Record<string, string>;
  const apps: TestApp[] = [];
  // moved a minute on per attempt below, so that however many it takes none meets the per-minute limit
  const clock = new ManualClock();

  beforeAll(async () => {
    cluster = await LocalRedisCluster.start(3, 1);
    env = {
      REDIS_CLUSTER_URLS: cluster.urls.join(','),
      // every instance of this test shares the keys, as the instances of one deployment do
      REDIS_KEY_PREFIX: `t${randomBytes(6).toString('hex')}:`,
      BACKGROUND_JOBS: 'false',
      REDIS_COMMAND_TIMEOUT: '5s',
    };
    apps.push(await createTestApp({ env, clock }));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await cluster?.stop();
  });

  const alive = (node: ClusterNode) => node.child.exitCode === null && node.child.signalCode === null;

  /** The running nodes that are replicas (ROLE answers "slave" first). */
  async function replicas(): Promise<ClusterNode[]> {
    const found: ClusterNode[] = [];
    for (const node of cluster.nodes.filter(alive)) {
      if ((await redisCli(node.port, 'ROLE')).split('\n')[0]!.trim() === 'slave') found.push(node);
    }
    return found;
  }

  /** The Redis keys of this test's instances matching a pattern, on every running master. */
  async function keysMatching(pattern: string): Promise<string[]> {
    const keys: string[] = [];
    for (const port of new Set((await cluster.slots()).map((row) => row.port))) {
      keys.push(...(await redisCli(port, '--scan', '--pattern', pattern)).split('\n').filter(Boolean));
    }
    return keys;
  }

  it('loses an unreplicated idempotency record, the database makes the retry the same purchase, and every slot and subscription comes back', async () => {
    const [app] = apps as [TestApp];
    const game = await setUpGame(app, [{ sku: 'life', kind: 'CONSUMABLE', price: '99' }]);
    const player = await setUpPlayer(app, game, { dailyCap: '50000' });
    const item = game.items.life!;
    const key = randomUUID();
    const input = { gameId: game.gameId, itemId: item.id, quantity: 1, expectedPrice: item.price, idempotencyKey: key };

    // The replicas lose their link to their masters and cannot log in again (a user that does not
    // exist): what the purchase writes now is on its master only. They stay eligible to take over.
    const cut = await replicas();
    expect(cut).toHaveLength(3);
    const link = async (node: ClusterNode) =>
      (await redisCli(node.port, 'INFO', 'replication')).includes('master_link_status:up') ? 'up' : 'down';
    for (const node of cut) {
      await waitFor(async () => (await link(node)) === 'up', 30_000, `replica ${node.port} to finish its first sync`);
      await redisCli(node.port, 'CONFIG', 'SET', 'masteruser', 'no-such-user', 'masterauth', 'not-the-password');
      await redisCli(node.port, 'CONFIG', 'SET', 'cluster-replica-validity-factor', '0');
    }
    for (const node of cut) {
      await waitFor(
        async () => {
          if ((await link(node)) === 'down') return true;
          await redisCli(node.port, 'CLIENT', 'KILL', 'TYPE', 'master');
          return false;
        },
        10_000,
        `replica ${node.port} to lose its master`,
      );
    }
    // One channel on each master, subscribed as purchaseUpdated and revocations subscribe (sharded).
    const masters = [...new Set((await cluster.slots()).map((row) => row.port))];
    const channels = new Map<number, string>();
    for (let i = 0; channels.size < masters.length; i++) {
      const channel = `failover-${i}`;
      const port = await cluster.masterOfSlot(await cluster.keySlot(`${env.REDIS_KEY_PREFIX}${channel}`));
      if (!channels.has(port)) channels.set(port, channel);
    }
    const received = new Map<string, string[]>();
    for (const channel of channels.values()) {
      received.set(channel, []);
      await app.deps.pubsub.subscribe(channel, (message) => received.get(channel)!.push(message));
    }

    const res = await app.gql(createPurchaseDocument, { input }, { token: player.gameToken });
    const made = expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;
    expect(made.status).toBe('SUCCEEDED');
    const first = made.id;
    // the idempotency record holds the key's hash (src/modules/idempotency/idempotency-key.ts)
    const hash = createHash('sha256').update(key).digest('base64url');
    const [recordKey] = (await keysMatching(`${env.REDIS_KEY_PREFIX}*${hash}`)) as [string];
    expect(recordKey).toBeDefined();

    // Its master dies, and its replica takes over without it.
    const slot = await cluster.keySlot(recordKey);
    const port = await cluster.masterOfSlot(slot);
    const dying = cluster.nodes.find((n) => n.port === port)!;
    const exited = once(dying.child, 'exit');
    dying.child.kill('SIGKILL');
    await exited;
    // the survivors see the master fail, then its replica wins the election and serves its slots
    await waitFor(async () => (await cluster.masterOfSlot(slot)) !== port, 60_000, 'the replica to take over', 100);
    // the other replicas log in to their masters again
    for (const node of cut.filter(alive)) {
      await redisCli(node.port, 'CONFIG', 'SET', 'masteruser', '', 'masterauth', '');
    }
    await cluster.waitHealthy(60_000);
    // the record did not survive the failover: what a retry finds is no key at all
    expect(await keysMatching(recordKey)).toEqual([]);

    // The retry reaches another instance (this one would answer from its in-process replay cache).
    const other = await createTestApp({ env, clock });
    apps.push(other);
    const retried = await other.gql(createPurchaseDocument, { input }, { token: player.gameToken });
    const again = expectTypename(retried.data.createPurchase, 'PurchasePayload').purchase;
    expect(again).toMatchObject({ id: first, status: 'SUCCEEDED' });
    expect(livingCharges(await chargesFor(app, decodeId(first)))).toHaveLength(1);
    const rows = await app.database.db.execute(
      `select count(*)::int as n from purchases where game_id = '${decodeId(game.gameId)}'` as never,
    );
    expect((rows as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(1);
    await expectLedgerBalanced(app, { purchaseId: decodeId(first) });

    // The first instance was connected to the dead master: within seconds it serves the slots the
    // replica took over too (a new key's record lands on the promoted master one time in three).
    const promoted = await cluster.masterOfSlot(slot);
    const deadline = Date.now() + 30_000;
    let served = 0;
    let onPromoted = 0;
    while (onPromoted < 2) {
      if (Date.now() > deadline) throw new Error(`${served} purchases, ${onPromoted} on the promoted master in 30 s`);
      const next = randomUUID();
      clock.advance(61_000); // every attempt counts toward the per-minute limit, refused ones too
      const res = await app.gql(
        createPurchaseDocument,
        { input: { ...input, idempotencyKey: next } },
        { token: player.gameToken },
      );
      // a retryable refusal, or the whole request refused while Redis is unreachable (HTTP 503), is retried
      const result = res.data?.createPurchase;
      if (isTypename(result, 'PurchasePayload') && result.purchase.status === 'SUCCEEDED') {
        served++;
        const hash = createHash('sha256').update(next).digest('base64url');
        const [record] = await keysMatching(`${env.REDIS_KEY_PREFIX}*${hash}`);
        if (record && (await cluster.masterOfSlot(await cluster.keySlot(record))) === promoted) onPromoted++;
      } else if (res.status !== 503 && !(result && 'retryable' in result && result.retryable === true)) {
        throw new Error(`purchase refused: ${JSON.stringify(res.data ?? res.errors)}`);
      } else {
        await new Promise((resolve) => setTimeout(resolve, 100)); // a client's back-off before it retries
      }
    }

    // Every channel delivers again, the one whose master died included (node-redis drops a dead
    // master's sharded subscriptions; the cluster subscriber subscribes them on the promoted one).
    const lastWords = Date.now() + 30_000;
    for (const [master, channel] of channels) {
      for (let n = 0; !received.get(channel)!.includes(`after-${n - 1}`); n++) {
        if (Date.now() > lastWords)
          throw new Error(`nothing received on ${channel} (of master ${master}; ${port} died)`);
        await app.deps.pubsub.publish(channel, `after-${n}`).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 100)); // delivery is asynchronous
      }
    }
  }, 180_000);
});
