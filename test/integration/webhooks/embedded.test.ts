import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { startServer } from '../../../src/composition/index.js';
import { createWebhookDispatcher } from '../../../src/modules/webhooks/index.js';
import { verifyWebhook } from '../../../src/sdk/verify-webhook.js';
import { asTestApp, testEnv } from '../../helpers/test-app.js';
import { createGameWithWebhook, enqueue, startReceiver } from './fixtures.js';

describe('webhooks on the embedded database', () => {
  it('claims, signs and delivers on PGlite (SKIP LOCKED and the sequence lock work there too)', async () => {
    const { DATABASE_URL: _postgres, ...env } = testEnv({
      WEBHOOK_DISPATCHER: 'off',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'coinslot-webhooks-pglite-')),
    });
    const server = await startServer(loadConfig(env), { listen: false });
    const receiver = await startReceiver();
    try {
      expect(server.database.kind).toBe('pglite');
      // the test conveniences (gql with typed documents) over this PGlite server
      const app = asTestApp(server);
      const game = await createGameWithWebhook(app, receiver.url);
      const aggregate = crypto.randomUUID();
      const events = await enqueue(app, game.gameId, [
        { aggregateId: aggregate },
        { aggregateId: aggregate, type: 'item.granted' },
      ]);
      expect(events.map((e) => e.sequence)).toEqual([1, 2]);
      const dispatcher = createWebhookDispatcher(server.deps, { gameIds: [game.gameId] });
      expect(await dispatcher.tick()).toBe(2);
      await dispatcher.stop();
      expect(receiver.requests.map((r) => r.id)).toEqual(events.map((e) => e.id));
      const last = receiver.requests[1]!;
      expect(
        verifyWebhook({
          payload: last.body,
          headers: last.headers,
          secret: game.webhookSecret,
          now: server.deps.clock.now(),
        }).type,
      ).toBe('item.granted');
    } finally {
      await receiver.close();
      await server.close();
    }
  }, 60_000);
});
