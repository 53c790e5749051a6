// Issue 17, finding 3: replayable responses of credential-issuing mutations never sit in Redis in plain text.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createClient } from 'redis';
import { createLogger } from '../../src/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../helpers/env.js';
import { createTestApp, uniqueEmail, type GqlResponse, type TestApp } from '../helpers/test-app.js';

// A token as the API hands it out: its prefix not inside a longer base64url run (ciphertext is one).
const TOKEN = /(?<![A-Za-z0-9_-])(sk|pk|whsec|gt|ps|ds|op)_[A-Za-z0-9_-]{16,}/;
const FIELD_NAMES = /"(token|gameToken|secretKey|publishableKey|webhookSecret)"/;

/** Every key under the test's prefix with its value(s) as text, whatever the Redis type. */
async function dumpPrefix(prefix: string): Promise<Map<string, string>> {
  const client = createClient({ url: testRedisUrl() });
  await client.connect();
  try {
    const out = new Map<string, string>();
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      for (const key of batch) {
        const type = await client.type(key);
        let value: unknown;
        if (type === 'string') value = await client.get(key);
        else if (type === 'hash') value = await client.hGetAll(key);
        else if (type === 'zset') value = await client.zRangeWithScores(key, 0, -1);
        else if (type === 'set') value = await client.sMembers(key);
        else if (type === 'list') value = await client.lRange(key, 0, -1);
        else value = type;
        out.set(key, typeof value === 'string' ? value : JSON.stringify(value));
      }
    }
    return out;
  } finally {
    await client.quit();
  }
}

describe('secrets in Redis (finding 3)', () => {
  let app: TestApp;
  const secrets = new Set<string>();
  const logLines: string[] = [];
  /** Each credential-issuing call with its Idempotency-Key, to replay. */
  const calls: {
    name: string;
    query: string;
    variables: Record<string, unknown>;
    token: string | null;
    key: string;
    first: GqlResponse;
  }[] = [];

  // The replay cache is off: every replay is read back from Redis and decrypted.
  beforeAll(async () => {
    const logger = createLogger(
      'trace',
      new Writable({
        write(chunk, _encoding, done) {
          logLines.push(String(chunk));
          done();
        },
      }),
    );
    app = await createTestApp({ env: { IDEMPOTENCY_REPLAY_CACHE: '0' }, logger });
  });
  afterAll(async () => {
    await app?.close();
  });

  async function run(name: string, query: string, variables: Record<string, unknown>, token: string | null) {
    const key = randomUUID();
    const first = await app.gql(query, variables, { token, headers: { 'idempotency-key': key } });
    const payload = first.data?.[name];
    if (!payload || 'code' in payload) throw new Error(`${name} failed: ${first.text}`);
    calls.push({ name, query, variables, token, key, first });
    return payload;
  }

  it('stores every credential-issuing response sealed, logs none of it, and replays each exactly', async () => {
    const password = `pw-${randomUUID()}`;
    const devEmail = uniqueEmail('sealed-dev');
    const dev = await run(
      'signUpDeveloper',
      `mutation ($input: SignUpDeveloperInput!) { signUpDeveloper(input: $input) { ... on DeveloperAuthPayload { token } ... on Error { code } } }`,
      { input: { email: devEmail, password, name: 'Sealed' } },
      null,
    );
    const devLogIn = await run(
      'logInDeveloper',
      `mutation ($input: LogInInput!) { logInDeveloper(input: $input) { ... on DeveloperAuthPayload { token } ... on Error { code } } }`,
      { input: { email: devEmail, password } },
      null,
    );
    const game = await run(
      'createGame',
      `mutation ($input: CreateGameInput!) { createGame(input: $input) { ... on CreateGamePayload { game { id } secretKey publishableKey webhookSecret } ... on Error { code } } }`,
      { input: { name: 'Sealed game', defaultCurrency: 'USD', webhookUrl: 'https://game.example/hook' } },
      dev.token,
    );
    const keys = await run(
      'rotateGameKeys',
      `mutation ($input: RotateGameKeysInput!) { rotateGameKeys(input: $input) { ... on RotateGameKeysPayload { secretKey publishableKey } ... on Error { code } } }`,
      { input: { gameId: game.game.id } },
      devLogIn.token,
    );
    const webhook = await run(
      'rotateWebhookSecret',
      `mutation ($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { ... on RotateWebhookSecretPayload { webhookSecret } ... on Error { code } } }`,
      { input: { gameId: game.game.id } },
      dev.token,
    );
    const playerEmail = uniqueEmail('sealed-player');
    const player = await run(
      'signUpPlayer',
      `mutation ($input: SignUpPlayerInput!) { signUpPlayer(input: $input) { ... on PlayerAuthPayload { token } ... on Error { code } } }`,
      { input: { email: playerEmail, password, displayName: 'Sealed player' } },
      null,
    );
    const playerLogIn = await run(
      'logInPlayer',
      `mutation ($input: LogInInput!) { logInPlayer(input: $input) { ... on PlayerAuthPayload { token } ... on Error { code } } }`,
      { input: { email: playerEmail, password } },
      null,
    );
    const authorized = await run(
      'authorizeGame',
      `mutation ($input: AuthorizeGameInput!) { authorizeGame(input: $input) { ... on AuthorizeGamePayload { gameToken } ... on Error { code } } }`,
      {
        input: {
          gameId: game.game.id,
          oneTapMax: { amount: '1000', currency: 'USD' },
          dailyCap: { amount: '5000', currency: 'USD' },
        },
      },
      playerLogIn.token,
    );
    for (const value of [
      dev.token,
      devLogIn.token,
      game.secretKey,
      game.publishableKey,
      game.webhookSecret,
      keys.secretKey,
      keys.publishableKey,
      webhook.webhookSecret,
      player.token,
      playerLogIn.token,
      authorized.gameToken,
      password,
      app.config.secrets.operatorToken,
    ])
      secrets.add(value as string);
    expect(secrets.size).toBe(13);

    const stored = await dumpPrefix(app.config.REDIS_KEY_PREFIX);
    const idempotencyKeys = [...stored.keys()].filter((k) => k.includes('idem:'));
    expect(idempotencyKeys.length).toBeGreaterThanOrEqual(calls.length);
    for (const [key, value] of stored) {
      for (const text of [key, value]) {
        expect(text, key).not.toMatch(TOKEN);
        expect(text, key).not.toMatch(FIELD_NAMES);
        for (const secret of secrets) expect(text.includes(secret), `${key} holds a secret`).toBe(false);
      }
    }

    expect(logLines.length).toBeGreaterThan(0); // the capture works
    for (const line of logLines) for (const secret of secrets) expect(line.includes(secret), line).toBe(false);

    for (const call of calls) {
      const replay = await app.gql(call.query, call.variables, {
        token: call.token,
        headers: { 'idempotency-key': call.key },
      });
      expect(replay.headers.get('idempotent-replayed'), call.name).toBe('true');
      expect(replay.text, call.name).toBe(call.first.text);
    }
  });
});
