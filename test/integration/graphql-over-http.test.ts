import { randomUUID } from 'node:crypto';
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { setUpGame, setUpPlayer } from '../helpers/flows.js';

const RESPONSE_JSON = 'application/graphql-response+json';

describe('GraphQL over HTTP', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ listen: true, env: { BACKGROUND_JOBS: 'false', WEBHOOK_DISPATCHER: 'off' } });
  });
  afterAll(() => app?.close());

  // The graphql-http audit suite (the GraphQL over HTTP spec's MUSTs, SHOULDs and MAYs) against the
  // listening server: every audit, warnings included, must pass.
  describe('graphql-http server audits', () => {
    for (const audit of serverAudits({ url: () => `${app.url}/graphql` })) {
      it(`${audit.id} ${audit.name}`, async () => {
        const result = await audit.fn();
        expect(result.status, 'reason' in result ? `${result.reason}\n${JSON.stringify(result.response)}` : '').toBe(
          'ok',
        );
      });
    }
  });

  async function post(body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: RESPONSE_JSON, ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, type: response.headers.get('content-type'), json: await response.json() };
  }

  it('answers a variable of the wrong type with 400, no data, and the variable named', async () => {
    const answer = await post({
      query: 'query ($show: Boolean!) { __typename @include(if: $show) }',
      variables: { show: 'abc' },
    });
    expect(answer.status).toBe(400);
    expect(answer.type).toContain(RESPONSE_JSON);
    expect(answer.json.data).toBeUndefined();
    expect(answer.json.errors[0].message).toContain('$show');
  });

  it('answers a mutation input without its required idempotency key with 400 naming the variable, and runs nothing', async () => {
    const game = await setUpGame(app, [{ sku: 'life', kind: 'CONSUMABLE', price: '99' }]);
    const player = await setUpPlayer(app, game);
    const input = {
      gameId: game.gameId,
      itemId: game.items.life!.id,
      expectedPrice: { amount: '99', currency: 'USD' },
    };
    const query = 'mutation ($input: CreatePurchaseInput!) { createPurchase(input: $input) { __typename } }';
    const answer = await post({ query, variables: { input } }, { authorization: `Bearer ${player.gameToken}` });
    expect(answer.status).toBe(400);
    expect(answer.json.data).toBeUndefined();
    expect(answer.json.errors[0].message).toContain('$input');
    expect(answer.json.errors[0].message).toContain('idempotencyKey');
  });

  it('keeps typed errors at 200 with data', async () => {
    const game = await setUpGame(app, [{ sku: 'life', kind: 'CONSUMABLE', price: '99' }]);
    const player = await setUpPlayer(app, game);
    const query =
      'mutation ($input: CreatePurchaseInput!) { createPurchase(input: $input) { __typename ... on Error { code } } }';
    const answer = await post(
      {
        query,
        variables: {
          input: {
            gameId: game.gameId,
            itemId: game.items.life!.id,
            expectedPrice: { amount: '1', currency: 'USD' },
            idempotencyKey: randomUUID(),
          },
        },
      },
      { authorization: `Bearer ${player.gameToken}` },
    );
    expect(answer.status).toBe(200);
    expect(answer.json.data.createPurchase).toEqual({ __typename: 'PriceChanged', code: 'PRICE_CHANGED' });
  });
});
