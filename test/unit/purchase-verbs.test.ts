// createPurchase's checks that come before any database read or charge: only a player's game token
// buys, for its own game, with a well-formed price and key. Each refusal leaves the database and the
// acquirer untouched (the unit tier has neither: touching one throws).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPurchase } from '../../src/modules/purchases/index.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../../src/shared/errors.js';
import type { Principal } from '../../src/shared/principal.js';
import { unitContext } from '../helpers/unit-deps.js';

const gameId = randomUUID();
const gameToken = {
  kind: 'player_game',
  playerId: randomUUID(),
  gameId,
  authorizationId: randomUUID(),
} as unknown as Principal;

const input = (overrides: Record<string, unknown> = {}) => ({
  gameId,
  itemId: randomUUID(),
  quantity: 1,
  expectedPrice: { amount: '99', currency: 'USD' },
  idempotencyKey: randomUUID(),
  ...overrides,
});

describe('createPurchase before the database', () => {
  it('refuses every caller but a game token: anonymous, a developer, a game key', async () => {
    await expect(createPurchase(unitContext({ kind: 'anonymous' }), input())).rejects.toBeInstanceOf(
      UnauthenticatedError,
    );
    for (const principal of [
      { kind: 'developer', developerId: 'd', sessionId: 's' },
      { kind: 'game_secret', gameId, developerId: 'd', keyId: 'k' },
    ] as Principal[])
      await expect(createPurchase(unitContext(principal), input())).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("answers NotFound for another game than the token's, as if it did not exist", async () => {
    await expect(createPurchase(unitContext(gameToken), input({ gameId: randomUUID() }))).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('refuses a quantity out of range, a price in decimals and a bad idempotency key', async () => {
    for (const bad of [
      input({ quantity: 0 }),
      input({ quantity: 101 }),
      input({ expectedPrice: { amount: '0.99', currency: 'USD' } }),
      input({ expectedPrice: { amount: '-1', currency: 'USD' } }),
      input({ idempotencyKey: '' }),
      input({ idempotencyKey: 'x'.repeat(256) }),
    ])
      await expect(createPurchase(unitContext(gameToken), bad)).rejects.toBeInstanceOf(ValidationError);
  });
});
