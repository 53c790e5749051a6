// createPurchase's checks that come before any database read or charge: only a player's game token
// buys, for its own game, with a well-formed price and key (the input parsed at the boundary, as the
// resolver does). Each refusal leaves the database and the acquirer untouched (the unit tier has
// neither: touching one throws).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPurchase, createPurchaseInput } from '../../src/modules/purchases/index.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../../src/shared/errors.js';
import type { Principal } from '../../src/shared/principal.js';
import { parseInput } from '../../src/shared/validation.js';
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

/** What the resolver does: parse the input once at the boundary, then call the verb with it typed. */
async function buy(principal: Principal, raw: Record<string, unknown>) {
  return createPurchase(unitContext(principal), parseInput(createPurchaseInput, raw));
}

describe('createPurchase before the database', () => {
  it('refuses every caller but a game token: anonymous, a developer, a game key', async () => {
    await expect(buy({ kind: 'anonymous' }, input())).rejects.toBeInstanceOf(UnauthenticatedError);
    for (const principal of [
      { kind: 'developer', developerId: 'd', sessionId: 's' },
      { kind: 'game_secret', gameId, developerId: 'd', keyId: 'k' },
    ] as Principal[])
      await expect(buy(principal, input())).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("answers NotFound for another game than the token's, as if it did not exist", async () => {
    await expect(buy(gameToken, input({ gameId: randomUUID() }))).rejects.toBeInstanceOf(NotFoundError);
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
      await expect(buy(gameToken, bad)).rejects.toBeInstanceOf(ValidationError);
  });
});
