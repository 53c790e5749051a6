// purchaseUpdated with graphql-sse's own client, in both of its modes: distinct connections (one
// stream per subscription; yoga's /graphql and the protocol handler on /graphql/stream) and the
// single-connection mode (PUT a reservation, GET one stream, POST each operation with its token),
// which plain graphql-yoga answers with 405.
import { print } from 'graphql';
import { createClient, type Client, type ExecutionResult } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import {
  buyTyped as buy,
  CARDS,
  confirmTyped as confirm,
  setUpGame,
  setUpPlayer,
  type GameSetup,
} from '../../helpers/flows.js';
import { expectTypename, graphql, type ResultOf } from '../../helpers/graphql.js';
import { waitFor } from '../../helpers/processes.js';

const SUBSCRIPTION = graphql(`
  subscription PurchaseUpdated($id: ID!) { purchaseUpdated(id: $id) { id status } }
`);
const LOG_OUT = graphql(`
  mutation LogOut { logOut }
`);
const VIEWER = graphql(`
  query Viewer { viewer { kind } }
`);

type Update = ExecutionResult<ResultOf<typeof SUBSCRIPTION>>;

/** The purchase a createPurchase answered with (it must be PurchasePayload). */
function purchaseOf(res: Awaited<ReturnType<typeof buy>>) {
  return expectTypename(res.data.createPurchase, 'PurchasePayload').purchase;
}

/** Subscribes through `client` and collects every result until disposed. */
function follow(client: Client, purchaseId: string) {
  const results: Update[] = [];
  let failure: unknown = null;
  let completed = false;
  const dispose = client.subscribe<Update['data']>(
    { query: print(SUBSCRIPTION), variables: { id: purchaseId } },
    {
      next: (value) => void results.push(value as Update),
      error: (error) => {
        failure = error;
      },
      complete: () => {
        completed = true;
      },
    },
  );
  const statuses = (): string[] => results.flatMap((r) => r.data?.purchaseUpdated?.status ?? []);
  return {
    results,
    statuses,
    get completed() {
      return completed;
    },
    get failure() {
      return failure;
    },
    async until(status: string): Promise<void> {
      await waitFor(
        () => {
          if (failure) throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
          return statuses().includes(status);
        },
        8_000,
        `purchaseUpdated ${status}; got ${JSON.stringify(results)}`,
      );
    },
    dispose,
  };
}

describe('purchaseUpdated with the graphql-sse client', () => {
  let app: TestApp;
  let game: GameSetup;
  const clients: Client[] = [];

  beforeAll(async () => {
    app = await createTestApp({ listen: true, env: { WEBHOOK_DISPATCHER: 'off' } });
    game = await setUpGame(app);
  });
  afterAll(async () => {
    for (const client of clients) client.dispose();
    await app?.close();
  });

  const clientFor = (token: string, path: string, singleConnection: boolean): Client => {
    const client = createClient({
      url: `${app.url}${path}`,
      singleConnection,
      headers: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    clients.push(client);
    return client;
  };

  for (const [mode, path, singleConnection] of [
    ['distinct connections, on /graphql', '/graphql', false],
    ['distinct connections, on /graphql/stream', '/graphql/stream', false],
    ['single connection, on /graphql/stream', '/graphql/stream', true],
  ] as const) {
    it(`streams a purchase from REQUIRES_CONFIRMATION to SUCCEEDED (${mode})`, async () => {
      const player = await setUpPlayer(app, game);
      const waiting = purchaseOf(await buy(app, game, player, game.items.big!));
      expect(waiting.status).toBe('REQUIRES_CONFIRMATION');
      const stream = follow(clientFor(player.gameToken, path, singleConnection), waiting.id);
      try {
        await stream.until('REQUIRES_CONFIRMATION');
        const done = await confirm(app, player, waiting.id);
        expect(expectTypename(done.data.confirmPurchase, 'PurchasePayload').purchase.status).toBe('SUCCEEDED');
        await stream.until('SUCCEEDED');
        expect(stream.results.every((r) => !r.errors)).toBe(true);
        expect(stream.results.every((r) => r.data?.purchaseUpdated?.id === waiting.id)).toBe(true);
      } finally {
        stream.dispose();
      }
    });
  }

  it('carries two subscriptions over one single connection, each hearing only its own purchase', async () => {
    const first = await setUpPlayer(app, game);
    const second = await setUpPlayer(app, game, { card: CARDS.mastercard });
    const a = purchaseOf(await buy(app, game, first, game.items.big!));
    const b = purchaseOf(await buy(app, game, second, game.items.big!));
    // the game's secret key may follow both of its players' purchases
    const client = clientFor(game.secretKey, '/graphql/stream', true);
    const streamA = follow(client, a.id);
    const streamB = follow(client, b.id);
    try {
      await streamA.until('REQUIRES_CONFIRMATION');
      await streamB.until('REQUIRES_CONFIRMATION');
      await confirm(app, second, b.id);
      await streamB.until('SUCCEEDED');
      expect(streamA.statuses()).toEqual(['REQUIRES_CONFIRMATION']);
      await confirm(app, first, a.id);
      await streamA.until('SUCCEEDED');
      expect(streamA.results.every((r) => r.data?.purchaseUpdated?.id === a.id)).toBe(true);
      expect(streamB.results.every((r) => r.data?.purchaseUpdated?.id === b.id)).toBe(true);
    } finally {
      streamA.dispose();
      streamB.dispose();
    }
  });

  it('gives a stranger NOT_FOUND, and refuses a mutation on the stream endpoint before it runs', async () => {
    const player = await setUpPlayer(app, game);
    const waiting = purchaseOf(await buy(app, game, player, game.items.big!));
    const stranger = await setUpPlayer(app, game, { card: null });
    const refused = follow(clientFor(stranger.gameToken, '/graphql/stream', true), waiting.id);
    await waitFor(
      () => refused.results.length > 0 || refused.completed || refused.failure !== null,
      8_000,
      'an answer to the stranger',
    );
    expect(refused.results[0]?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(refused.statuses()).toEqual([]);
    refused.dispose();

    const response = await fetch(`${app.url}/graphql/stream`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${player.gameToken}`,
      },
      body: JSON.stringify({ query: print(LOG_OUT) }),
    });
    const text = await response.text();
    expect(text).toContain('serves subscriptions only');
    expect(text).not.toContain('"logOut":true');
    // the session still works: the mutation never ran
    expect((await app.gql(VIEWER, {}, { token: player.gameToken })).status).toBe(200);
  });
});
