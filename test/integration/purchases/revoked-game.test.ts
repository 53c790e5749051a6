// A purchase waiting for the player's confirmation when the player disconnects the game: revoking
// the game ends it, so the pay sheet can no longer charge it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargesFor } from '../../helpers/charges.js';
import {
  buyTyped as buy,
  confirmTyped as confirm,
  decodeId,
  purchaseDocument,
  setUpGame,
  setUpPlayer,
  type GameSetup,
} from '../../helpers/flows.js';
import { expectTypename, graphql } from '../../helpers/graphql.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

const AUTHORIZATIONS = graphql(`
  query Authorizations { viewer { authorizations { edges { node { id game { id } } } } } }
`);
const REVOKE = graphql(`
  mutation RevokeGameAuthorization($input: RevokeGameAuthorizationInput!) {
    revokeGameAuthorization(input: $input) { __typename ... on RevokeGameAuthorizationPayload { authorization { revokedAt } } }
  }
`);

describe('a waiting purchase of a game the player disconnected', () => {
  let app: TestApp;
  let game: GameSetup;
  beforeAll(async () => {
    app = await createTestApp({ env: { BACKGROUND_JOBS: 'false' } });
    game = await setUpGame(app);
  });
  afterAll(() => app.close());

  it('is canceled, not charged, when the player confirms it after revoking the game', async () => {
    const player = await setUpPlayer(app, game, { oneTapMax: '100' });
    const started = await buy(app, game, player, game.items.skin!); // 499: above the one-tap allowance
    const purchase = expectTypename(started.data.createPurchase, 'PurchasePayload').purchase;
    expect(purchase.status).toBe('REQUIRES_CONFIRMATION');

    const authorizations = await app.gql(AUTHORIZATIONS, {}, { token: player.playerToken });
    const edge = authorizations.data.viewer?.authorizations.edges.find((e) => e.node.game.id === game.gameId);
    if (!edge) throw new Error(`no authorization of game ${game.gameId}: ${authorizations.text}`);
    const authorization = edge.node;
    const revoked = await app.gql(
      REVOKE,
      { input: { authorizationId: authorization.id } },
      { token: player.playerToken },
    );
    expect(
      expectTypename(revoked.data.revokeGameAuthorization, 'RevokeGameAuthorizationPayload').authorization.revokedAt,
    ).not.toBeNull();

    const confirmed = await confirm(app, player, purchase.id);
    expect(expectTypename(confirmed.data.confirmPurchase, 'InvalidState').message).toContain('disconnected this game');
    const after = await app.gql(purchaseDocument, { id: purchase.id }, { token: player.playerToken });
    expect(after.data.purchase?.status).toBe('CANCELED');
    expect(await chargesFor(app, decodeId(purchase.id))).toEqual([]);
  });
});
