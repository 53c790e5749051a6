// Issue 17, finding 3: replayable responses of credential-issuing mutations never sit in Redis in plain text;
// Redis is scanned after each of them (Coinslot Connect's code and its exchange included).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createClient } from 'redis';
import { createLogger } from '../../src/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisUrl } from '../helpers/env.js';
import { graphql, type TadaDocumentNode } from '../helpers/graphql.js';
import { createTestApp, uniqueEmail, type GqlResponse, type TestApp } from '../helpers/test-app.js';

// A token as the API hands it out: its prefix not inside a longer base64url run (ciphertext is one).
const TOKEN = /(?<![A-Za-z0-9_-])(sk|pk|whsec|gt|ps|ds|op|ac)_[A-Za-z0-9_-]{16,}/;
// The same in an API answer, whole: a whsec_ secret is standard base64 (+, / and =).
const ISSUED = /(?<![A-Za-z0-9])(sk|pk|whsec|gt|ps|ds|op|ac)_[A-Za-z0-9_+/=-]{16,}/g;
const FIELD_NAMES = /"(token|gameToken|secretKey|publishableKey|webhookSecret)"/;

const SIGN_UP_DEVELOPER = graphql(`
  mutation SealedSignUpDeveloper($input: SignUpDeveloperInput!) {
    signUpDeveloper(input: $input) { __typename ... on DeveloperAuthPayload { token } ... on Error { code } }
  }
`);
const LOG_IN_DEVELOPER = graphql(`
  mutation SealedLogInDeveloper($input: LogInInput!) {
    logInDeveloper(input: $input) { __typename ... on DeveloperAuthPayload { token } ... on Error { code } }
  }
`);
const CREATE_GAME = graphql(`
  mutation SealedCreateGame($input: CreateGameInput!) {
    createGame(input: $input) {
      __typename
      ... on CreateGamePayload { game { id } secretKey publishableKey webhookSecret }
      ... on Error { code }
    }
  }
`);
const ROTATE_GAME_KEYS = graphql(`
  mutation SealedRotateGameKeys($input: RotateGameKeysInput!) {
    rotateGameKeys(input: $input) { __typename ... on RotateGameKeysPayload { secretKey publishableKey } ... on Error { code } }
  }
`);
const ROTATE_WEBHOOK_SECRET = graphql(`
  mutation SealedRotateWebhookSecret($input: RotateWebhookSecretInput!) {
    rotateWebhookSecret(input: $input) { __typename ... on RotateWebhookSecretPayload { webhookSecret } ... on Error { code } }
  }
`);
const SIGN_UP_PLAYER = graphql(`
  mutation SealedSignUpPlayer($input: SignUpPlayerInput!) {
    signUpPlayer(input: $input) { __typename ... on PlayerAuthPayload { token } ... on Error { code } }
  }
`);
const LOG_IN_PLAYER = graphql(`
  mutation SealedLogInPlayer($input: LogInInput!) {
    logInPlayer(input: $input) { __typename ... on PlayerAuthPayload { token } ... on Error { code } }
  }
`);
const AUTHORIZE_GAME = graphql(`
  mutation SealedAuthorizeGame($input: AuthorizeGameInput!) {
    authorizeGame(input: $input) { __typename ... on AuthorizeGamePayload { gameToken redirectTo } ... on Error { code } }
  }
`);
const REDIRECT_URI = 'com.sealed.game:/cb';

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
    /** Sends the same request again, with the same Idempotency-Key. */
    replay: () => Promise<GqlResponse<unknown>>;
    first: GqlResponse<unknown>;
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

  /** Every token of the shapes Coinslot issues in a payload (a redirect URL's code included). */
  const tokensIn = (value: unknown): string[] =>
    typeof value === 'string'
      ? [...value.matchAll(ISSUED)].map((m) => m[0])
      : value && typeof value === 'object'
        ? Object.values(value).flatMap(tokensIn)
        : [];

  /** Every Redis key and value under the app's prefix: no token shape, no credential field, no secret seen so far. */
  async function expectRedisClean(after: string): Promise<number> {
    const stored = await dumpPrefix(app.config.REDIS_KEY_PREFIX);
    for (const [key, value] of stored) {
      for (const text of [key, value]) {
        expect(text, `${after}: ${key}`).not.toMatch(TOKEN);
        expect(text, `${after}: ${key}`).not.toMatch(FIELD_NAMES);
        for (const secret of secrets) expect(text.includes(secret), `${after}: ${key} holds a secret`).toBe(false);
      }
    }
    return [...stored.keys()].filter((k) => k.includes('idem:')).length;
  }

  /**
   * Runs a credential-issuing call under a fresh Idempotency-Key; its payload must be `typename` and
   * carry a credential. Redis is scanned right after it.
   */
  async function run<
    R extends { [field in K]: { __typename: string } },
    V,
    K extends string,
    N extends R[K]['__typename'],
  >(
    name: K,
    document: TadaDocumentNode<R, V>,
    variables: V,
    token: string | null,
    typename: N,
  ): Promise<Extract<R[K], { __typename: N }>> {
    const key = randomUUID();
    const send = () => app.gql(document, variables, { token, headers: { 'idempotency-key': key } });
    const first = await send();
    const payload = first.data?.[name];
    if (payload?.__typename !== typename) throw new Error(`${name} failed: ${first.text}`);
    const issued = tokensIn(payload);
    expect(issued.length, `${name} issued no credential: ${first.text}`).toBeGreaterThan(0);
    for (const token of issued) secrets.add(token);
    calls.push({ name, replay: send, first });
    expect(await expectRedisClean(name)).toBeGreaterThanOrEqual(calls.length);
    return payload as Extract<R[K], { __typename: N }>;
  }

  it('stores every credential-issuing response sealed, logs none of it, and replays each exactly', async () => {
    const password = `pw-${randomUUID()}`;
    const devEmail = uniqueEmail('sealed-dev');
    const dev = await run(
      'signUpDeveloper',
      SIGN_UP_DEVELOPER,
      { input: { email: devEmail, password, name: 'Sealed' } },
      null,
      'DeveloperAuthPayload',
    );
    const devLogIn = await run(
      'logInDeveloper',
      LOG_IN_DEVELOPER,
      { input: { email: devEmail, password } },
      null,
      'DeveloperAuthPayload',
    );
    const game = await run(
      'createGame',
      CREATE_GAME,
      {
        input: {
          name: 'Sealed game',
          defaultCurrency: 'USD',
          webhookUrl: 'https://game.example/hook',
          redirectUris: [REDIRECT_URI],
        },
      },
      dev.token,
      'CreateGamePayload',
    );
    const keys = await run(
      'rotateGameKeys',
      ROTATE_GAME_KEYS,
      { input: { gameId: game.game.id } },
      devLogIn.token,
      'RotateGameKeysPayload',
    );
    const webhook = await run(
      'rotateWebhookSecret',
      ROTATE_WEBHOOK_SECRET,
      { input: { gameId: game.game.id } },
      dev.token,
      'RotateWebhookSecretPayload',
    );
    const playerEmail = uniqueEmail('sealed-player');
    const player = await run(
      'signUpPlayer',
      SIGN_UP_PLAYER,
      { input: { email: playerEmail, password, displayName: 'Sealed player' } },
      null,
      'PlayerAuthPayload',
    );
    const playerLogIn = await run(
      'logInPlayer',
      LOG_IN_PLAYER,
      { input: { email: playerEmail, password } },
      null,
      'PlayerAuthPayload',
    );
    const authorized = await run(
      'authorizeGame',
      AUTHORIZE_GAME,
      {
        input: {
          gameId: game.game.id,
          oneTapMax: { amount: '1000', currency: 'USD' },
          dailyCap: { amount: '5000', currency: 'USD' },
        },
      },
      playerLogIn.token,
      'AuthorizeGamePayload',
    );
    // Coinslot Connect: the consent answers a single-use code (`ac_`) in redirectTo, which the game
    // exchanges at /oauth/token for a game token.
    const verifier = randomBytes(32).toString('base64url');
    const consented = await run(
      'authorizeGame',
      AUTHORIZE_GAME,
      {
        input: {
          gameId: game.game.id,
          oneTapMax: { amount: '1000', currency: 'USD' },
          dailyCap: { amount: '5000', currency: 'USD' },
          redirectUri: REDIRECT_URI,
          codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
          codeChallengeMethod: 'S256',
          state: 'sealed-state',
        },
      },
      player.token,
      'AuthorizeGamePayload',
    );
    const code = new URL(consented.redirectTo ?? '').searchParams.get('code') ?? '';
    expect(code).toMatch(/^ac_/);
    const exchanged = await app.app.fetch('http://coinslot.test/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: game.game.id,
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      }),
    });
    expect(exchanged.status).toBe(200);
    const { access_token: connectToken } = (await exchanged.json()) as { access_token: string };
    expect(connectToken).toMatch(/^gt_/);

    for (const value of [
      code,
      connectToken,
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
    expect(secrets.size).toBe(15);

    // once more with every secret known, the code exchange, the password and the operator token included
    expect(await expectRedisClean('the end')).toBeGreaterThanOrEqual(calls.length);

    expect(logLines.length).toBeGreaterThan(0); // the capture works
    for (const line of logLines) for (const secret of secrets) expect(line.includes(secret), line).toBe(false);

    for (const call of calls) {
      const replay = await call.replay();
      expect(replay.headers.get('idempotent-replayed'), call.name).toBe('true');
      expect(replay.text, call.name).toBe(call.first.text);
    }
  });
});
