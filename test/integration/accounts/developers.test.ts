import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, uniqueEmail, type TestApp } from '../../helpers/test-app.js';
import {
  getDevelopersByIds,
  getPlayersByIds,
  logInPlayer,
  signUpDeveloper,
  signUpPlayer,
} from '../../../src/modules/accounts/index.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';

const SIGN_UP = graphql(`
  mutation SignUp($input: SignUpDeveloperInput!) {
    signUpDeveloper(input: $input) {
      __typename
      ... on DeveloperAuthPayload { token developer { id email name } }
      ... on Error { code message }
      ... on ValidationError { fieldErrors { path message } }
    }
  }
`);
const LOG_IN = graphql(`
  mutation LogIn($input: LogInInput!) {
    logInDeveloper(input: $input) {
      __typename
      ... on DeveloperAuthPayload { token developer { id } }
      ... on Error { code message }
      ... on RetryableError { retryAfterSeconds }
    }
  }
`);
const VIEWER = graphql(`query DeveloperViewer { viewer { kind developer { id email } } }`);
const LOG_OUT = graphql(`mutation LogOut { logOut }`);

describe('developer accounts', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());

  it('signs up, reads the viewer with the session token, logs out and the token stops working', async () => {
    const email = uniqueEmail('dev');
    const signUp = await app.gql(SIGN_UP, { input: { email, password: 'correct horse battery', name: 'Studio' } });
    const signedUp = expectTypename(signUp.data.signUpDeveloper, 'DeveloperAuthPayload');
    const token = signedUp.token;
    expect(token).toMatch(/^ds_[A-Za-z0-9_-]{43}$/);

    const viewer = await app.gql(VIEWER, {}, { token });
    expect(viewer.data.viewer).toEqual({
      kind: 'DEVELOPER',
      developer: { id: signedUp.developer.id, email },
    });

    const out = await app.gql(LOG_OUT, {}, { token });
    expect(out.data.logOut).toBe(true);
    const after = await app.gql(VIEWER, {}, { token });
    expect(after.status).toBe(401);
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('stores only a hash of the password and of the session token', async () => {
    const email = uniqueEmail('dev');
    const password = 'a very secret password';
    const res = await app.gql(SIGN_UP, { input: { email, password, name: 'Hash' } });
    const token = expectTypename(res.data.signUpDeveloper, 'DeveloperAuthPayload').token;
    const rows = await app.database.db.execute(
      `select d.password_hash, s.token_hash from developers d join sessions s on s.developer_id = d.id where d.email = '${email}'` as never,
    );
    const row = (rows as unknown as { rows: { password_hash: string; token_hash: string }[] }).rows[0]!;
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain(password);
    expect(row.token_hash).not.toContain(token);
  });

  it('never reads a password hash out of the database beyond the password check', async () => {
    const ctx = { deps: app.deps, principal: { kind: 'operator' as const }, requestId: 'test', ip: null };
    const developer = await signUpDeveloper(ctx, {
      email: uniqueEmail('dev'),
      password: 'correct horse battery',
      name: 'No hash',
    });
    const player = await signUpPlayer(ctx, {
      email: uniqueEmail('player'),
      password: 'correct horse battery',
      displayName: 'No hash',
    });
    const loggedIn = await logInPlayer(ctx, { email: player.player.email, password: 'correct horse battery' });
    const [readDeveloper] = await getDevelopersByIds(ctx, [developer.developer.id]);
    const [readPlayer] = await getPlayersByIds(ctx, [player.player.id]);
    for (const account of [developer.developer, player.player, loggedIn.player, readDeveloper, readPlayer]) {
      expect(account).toBeTruthy();
      expect(account).not.toHaveProperty('passwordHash');
    }
  });

  it('refuses a taken email with EmailTaken, case-insensitively', async () => {
    const email = uniqueEmail('dev');
    await app.gql(SIGN_UP, { input: { email, password: 'password-0001', name: 'One' } });
    const again = await app.gql(SIGN_UP, {
      input: { email: email.toUpperCase(), password: 'password-0002', name: 'Two' },
    });
    expect(again.data.signUpDeveloper).toMatchObject({ __typename: 'EmailTaken', code: 'EMAIL_TAKEN' });
  });

  it('answers bad input with a ValidationError naming each field', async () => {
    const res = await app.gql(SIGN_UP, { input: { email: 'not-an-email', password: 'short', name: '' } });
    const result = expectTypename(res.data.signUpDeveloper, 'ValidationError');
    const paths = result.fieldErrors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['input.email', 'input.name']));
  });

  it('refuses a short password', async () => {
    const res = await app.gql(SIGN_UP, { input: { email: uniqueEmail(), password: 'nine-char', name: 'x' } });
    expect(res.data.signUpDeveloper).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [{ path: 'input.password' }],
    });
  });

  it('gives the same InvalidCredentials for a wrong password and an unknown email', async () => {
    const email = uniqueEmail('dev');
    await app.gql(SIGN_UP, { input: { email, password: 'right-password-1', name: 'x' } });
    const wrong = await app.gql(LOG_IN, { input: { email, password: 'wrong-password-1' } });
    const unknown = await app.gql(LOG_IN, { input: { email: uniqueEmail('nobody'), password: 'wrong-password-1' } });
    expect(wrong.data.logInDeveloper).toEqual(unknown.data.logInDeveloper);
    expect(wrong.data.logInDeveloper).toMatchObject({ __typename: 'InvalidCredentials', code: 'INVALID_CREDENTIALS' });
    const right = await app.gql(LOG_IN, { input: { email, password: 'right-password-1' } });
    expect(right.data.logInDeveloper.__typename).toBe('DeveloperAuthPayload');
  });

  it('throttles an account after 5 failed logins, whatever the password', async () => {
    const email = uniqueEmail('dev');
    await app.gql(SIGN_UP, { input: { email, password: 'right-password-1', name: 'x' } });
    for (let i = 0; i < 5; i++) {
      const res = await app.gql(LOG_IN, { input: { email, password: `wrong-password-${i}` } });
      expect(res.data.logInDeveloper.__typename).toBe('InvalidCredentials');
    }
    const blocked = await app.gql(LOG_IN, { input: { email, password: 'right-password-1' } });
    expect(expectTypename(blocked.data.logInDeveloper, 'RateLimited').retryAfterSeconds).toBeGreaterThan(0);
  });

  it('rejects malformed and unknown bearer tokens as unauthenticated', async () => {
    for (const token of ['ds_unknown-token-value-000000', 'garbage token with spaces']) {
      const res = await app.gql(VIEWER, {}, { headers: { authorization: `Bearer ${token}` } });
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    const anonymous = await app.gql(VIEWER, {});
    expect(anonymous.data.viewer.kind).toBe('ANONYMOUS');
  });

  it('masks unexpected errors and serves health, readiness and metrics', async () => {
    expect((await app.app.fetch('http://x/healthz')).status).toBe(200);
    const ready = await app.app.fetch('http://x/readyz');
    expect(await ready.json()).toMatchObject({ status: 'ready', database: 'up', redis: 'up' });
    const metrics = await (await app.app.fetch('http://x/metrics')).text();
    expect(metrics).toContain('coinslot_http_requests_total');
  });
});
