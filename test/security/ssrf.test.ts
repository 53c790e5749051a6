// Issue 17, finding 1: a developer-supplied webhook URL cannot make Coinslot read its own network.
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundHttp, type HostLookup } from '../../src/adapters/http/outbound-http.js';
import { createGameWithWebhook } from '../integration/webhooks/fixtures.js';
import { freePort } from '../helpers/processes.js';
import { expectTypename, graphql } from '../helpers/graphql.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { INTERNAL_URLS } from './hostile-urls.js';

const SEND_TEST = graphql(`
  mutation SsrfSendTestWebhook($input: SendTestWebhookInput!) {
    sendTestWebhook(input: $input) {
      __typename
      ... on SendTestWebhookPayload { delivery { statusCode success error responseExcerpt } }
      ... on Error { code message }
    }
  }
`);
const CREATE_GAME = graphql(`
  mutation SsrfCreateGame($input: CreateGameInput!) {
    createGame(input: $input) { __typename ... on ValidationError { code message fieldErrors { path message } } }
  }
`);
const UPDATE_GAME = graphql(`
  mutation SsrfUpdateGame($input: UpdateGameInput!) {
    updateGame(input: $input) { __typename ... on ValidationError { code fieldErrors { path message } } }
  }
`);

/** A loopback listener that counts every TCP connection and answers HTTP with an internal secret. */
interface InternalService {
  readonly port: number;
  connections: number;
  close(): Promise<void>;
}

const INTERNAL_SECRET = 'internal-secret-4f9a';

async function startInternalService(): Promise<InternalService> {
  const sockets = new Set<Socket>();
  const http: HttpServer = createHttpServer((_req, res) => res.end(`{"AccessKeyId":"${INTERNAL_SECRET}"}`));
  const service = { port: 0, connections: 0, close: async () => {} };
  const tcp: TcpServer = createTcpServer((socket) => {
    service.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    http.emit('connection', socket);
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  service.port = (tcp.address() as AddressInfo).port;
  service.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      tcp.close(() => resolve());
    });
  return service;
}

/** Stores a webhook URL as an older version would have (no check), so delivery's own refusal is tested. */
async function setWebhookUrlDirectly(app: TestApp, gameId: string, url: string): Promise<void> {
  await app.database.pool!.query('update games set webhook_url = $1 where id = $2', [url, gameId]);
}

describe('webhook SSRF (finding 1)', () => {
  let app: TestApp;
  let service: InternalService;
  /** What the injected resolver answers for every host name. */
  let answers: string[] = ['127.0.0.1'];
  let lookups = 0;
  const lookup: HostLookup = async () => {
    lookups += 1;
    return answers.map((address) => ({ address }));
  };

  beforeAll(async () => {
    service = await startInternalService();
    app = await createTestApp({
      env: { WEBHOOK_ALLOW_PRIVATE_NETWORK: 'false', WEBHOOK_DISPATCHER: 'off', WEBHOOK_TIMEOUT: '2s' },
      outboundHttp: createOutboundHttp({ allowPrivateNetwork: false, lookup }),
    });
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
  });

  /** The finding's URLs (and other spellings), each pointed at the internal service's port. */
  const findingUrls = () =>
    INTERNAL_URLS.map((url) => url.replace(/^(https?:\/\/(?:\[[^\]]+\]|[^/:]+))(:\d+)?\//, `$1:${service.port}/`));

  it('createGame and updateGame refuse every internal destination with a ValidationError on webhookUrl', async () => {
    const game = await createGameWithWebhook(app, null);
    for (const url of findingUrls()) {
      // plain http is refused for not being https when the host is not loopback: refused either way
      const created = await app.gql(
        CREATE_GAME,
        { input: { name: 'SSRF', defaultCurrency: 'USD', webhookUrl: url } },
        { token: game.developerToken },
      );
      expect(created.data.createGame, url).toMatchObject({
        __typename: 'ValidationError',
        fieldErrors: [expect.objectContaining({ path: 'input.webhookUrl' })],
      });
      const updated = await app.gql(
        UPDATE_GAME,
        { input: { gameId: game.globalId, webhookUrl: url } },
        { token: game.developerToken },
      );
      expect(updated.data.updateGame, url).toMatchObject({
        __typename: 'ValidationError',
        fieldErrors: [expect.objectContaining({ path: 'input.webhookUrl' })],
      });
    }
    expect(service.connections).toBe(0);
  });

  it('a stored internal URL is refused at delivery: "destination not allowed", no excerpt, no connection', async () => {
    const game = await createGameWithWebhook(app, null);
    for (const url of findingUrls()) {
      await setWebhookUrlDirectly(app, game.gameId, url);
      const sent = await app.gql(SEND_TEST, { input: { gameId: game.globalId } }, { token: game.developerToken });
      expect(sent.data.sendTestWebhook, url).toMatchObject({
        __typename: 'SendTestWebhookPayload',
        delivery: { statusCode: null, success: false, error: 'destination not allowed', responseExcerpt: null },
      });
      expect(sent.text).not.toContain(INTERNAL_SECRET);
    }
    expect(service.connections).toBe(0);
  });

  it('DNS rebinding: a name that passed the URL check and resolves to loopback at delivery is refused', async () => {
    const url = `https://rebind.attacker.test:${service.port}/hook`;
    const game = await createGameWithWebhook(app, url); // a name: accepted, its addresses are checked per connection
    for (const answer of [['127.0.0.1'], ['93.184.215.14', '127.0.0.1'], ['::ffff:127.0.0.1'], ['169.254.169.254']]) {
      answers = answer;
      const before = lookups;
      const sent = await app.gql(SEND_TEST, { input: { gameId: game.globalId } }, { token: game.developerToken });
      expect(
        expectTypename(sent.data.sendTestWebhook, 'SendTestWebhookPayload').delivery,
        answer.join(','),
      ).toMatchObject({
        error: 'destination not allowed',
        responseExcerpt: null,
      });
      expect(lookups).toBe(before + 1); // resolved again for this delivery, by the connector itself
    }
    expect(service.connections).toBe(0);
  });

  it('the same name reaches the service when private networks are allowed (the test above can fail)', async () => {
    answers = ['127.0.0.1'];
    const open = createOutboundHttp({ allowPrivateNetwork: true, lookup });
    try {
      const result = await open.send({
        method: 'POST',
        url: `http://rebind.attacker.test:${service.port}/hook`,
        headers: {},
        body: '{}',
        timeoutMs: 2_000,
        maxResponseBytes: 2_000,
      });
      expect(result).toEqual({ kind: 'response', status: 200, body: `{"AccessKeyId":"${INTERNAL_SECRET}"}` });
      expect(service.connections).toBe(1);
    } finally {
      await open.close();
      service.connections = 0;
    }
  });
});

describe('outbound client bounds', () => {
  const open = createOutboundHttp({ allowPrivateNetwork: true });
  const servers: { close(): unknown }[] = [];
  afterAll(async () => {
    for (const server of servers) server.close();
    await open.close();
  });

  async function listen(handler: RequestListener): Promise<string> {
    const server = createHttpServer(handler);
    servers.push({
      close: () => {
        server.closeAllConnections();
        server.close();
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const post = (url: string, timeoutMs = 3_000) =>
    open.send({ method: 'POST', url, headers: {}, body: '{}', timeoutMs, maxResponseBytes: 2_000 });

  it('follows no redirect: a 302 to an internal address is the answer', async () => {
    let followed = 0;
    const target = await listen((_req, res) => {
      followed += 1;
      res.end(INTERNAL_SECRET);
    });
    const redirecting = await listen((_req, res) => res.writeHead(302, { location: `${target}/secret` }).end());
    const result = await post(`${redirecting}/hook`);
    expect(result).toMatchObject({ kind: 'response', status: 302 });
    expect(followed).toBe(0);
  });

  it('reads at most maxResponseBytes of an endless body and returns long before the timeout', async () => {
    const endless = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = 'x'.repeat(16_384);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const started = Date.now();
    const result = await post(`${endless}/hook`, 10_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.kind).toBe('response');
    expect(result.kind === 'response' && result.body.length).toBeLessThanOrEqual(2_000);
  });

  it('a closed port and a listener that never answers look the same (no port scanning)', async () => {
    const closedPort = await freePort();
    const silent = createTcpServer(() => {}); // accepts, never answers
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as AddressInfo).port;
    const refused = await post(`http://127.0.0.1:${closedPort}/`, 500);
    const timedOut = await post(`http://127.0.0.1:${silentPort}/`, 500);
    expect(refused).toEqual({ kind: 'no_response' });
    expect(timedOut).toEqual({ kind: 'no_response' });
  });

  it('a refused destination is refused before any connection, whatever the DNS says', async () => {
    const closed = createOutboundHttp({ allowPrivateNetwork: false, lookup: async () => [{ address: '10.1.2.3' }] });
    try {
      expect(
        await closed.send({
          method: 'POST',
          url: 'https://internal.example/',
          headers: {},
          body: '',
          timeoutMs: 1_000,
          maxResponseBytes: 10,
        }),
      ).toEqual({ kind: 'refused' });
    } finally {
      await closed.close();
    }
  });
});
