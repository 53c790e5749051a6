// Who sees what, decided in the modules (resolvers only map): the system actor of background jobs
// sees nothing a caller could ask for; a player's email is theirs; fees are the game's business.
import { describe, expect, it } from 'vitest';
import { playerView, type PlayerRow } from '../../src/modules/accounts/index.js';
import { canManageGame, canReadGame, seesGameFees } from '../../src/modules/games/index.js';
import {
  canReadPurchase,
  visibleCardId,
  visibleFee,
  visibleRisk,
  type PurchaseRow,
} from '../../src/modules/purchases/index.js';
import type { Deps, ServiceContext } from '../../src/modules/service-context.js';
import { principalKey, systemActor, type Principal } from '../../src/shared/principal.js';

const game = { id: '00000000-0000-4000-8000-00000000000a', developerId: '00000000-0000-4000-8000-00000000000d' };
const buyer = '00000000-0000-4000-8000-0000000000b1';
const purchase = {
  id: '00000000-0000-4000-8000-0000000000c1',
  gameId: game.id,
  playerId: buyer,
  recipientId: buyer,
  feeMinor: 30,
  amountMinor: 99,
  currency: 'USD',
} as PurchaseRow;
const player: PlayerRow = {
  id: buyer,
  email: 'buyer@example.test',
  displayName: 'Buyer',
  createdAt: new Date(0),
} as PlayerRow;

/** A context whose deps nobody may touch: the rules below decide without the database. */
function ctxOf(principal: Principal): ServiceContext {
  return { deps: {} as Deps, principal, requestId: 'test', ip: null };
}

const secretKey: Principal = { kind: 'game_secret', gameId: game.id, developerId: game.developerId, keyId: 'k' };
const gameToken: Principal = { kind: 'player_game', playerId: buyer, gameId: game.id, authorizationId: 'a' };
const ownSession: Principal = { kind: 'player', playerId: buyer, sessionId: 's' };

describe('the system actor of background jobs', () => {
  const system = systemActor('recover-purchases');

  it('reads no game, manages none and reads no purchase, unlike an operator', () => {
    expect(canReadGame(system, game)).toBe(false);
    expect(canManageGame(system, game)).toBe(false);
    expect(canReadPurchase(system, purchase, game.developerId)).toBe(false);
    expect(canReadPurchase({ kind: 'operator' }, purchase, game.developerId)).toBe(true);
  });

  it('sees no fee and no email', async () => {
    expect(await seesGameFees(ctxOf(system), game.id)).toBe(false);
    expect(await visibleFee(ctxOf(system), purchase)).toBeNull();
    expect(playerView(system, player).email).toBeNull();
  });

  it('is scoped apart from operators and from other jobs', () => {
    expect(principalKey(system)).toBe('system:recover-purchases');
    expect(principalKey(systemActor('expire-purchases'))).not.toBe(principalKey(system));
    expect(principalKey(system)).not.toBe(principalKey({ kind: 'operator' }));
  });
});

describe("a purchase's fee", () => {
  it("is shown to the game's secret key and operators", async () => {
    expect(await visibleFee(ctxOf(secretKey), purchase)).toEqual({ amountMinor: 30, currency: 'USD' });
    expect(await visibleFee(ctxOf({ kind: 'operator' }), purchase)).toEqual({ amountMinor: 30, currency: 'USD' });
  });

  it('is hidden from the buyer, the game client and another game', async () => {
    expect(await visibleFee(ctxOf(ownSession), purchase)).toBeNull();
    expect(await visibleFee(ctxOf(gameToken), purchase)).toBeNull();
    const otherGame: Principal = { ...secretKey, gameId: '00000000-0000-4000-8000-0000000000ff' };
    expect(await visibleFee(ctxOf(otherGame), purchase)).toBeNull();
  });

  it('is null before the sale set it, whoever asks', async () => {
    expect(await visibleFee(ctxOf({ kind: 'operator' }), { ...purchase, feeMinor: null })).toBeNull();
  });
});

describe("a player's email", () => {
  it('is shown to their own session and to operators', () => {
    expect(playerView(ownSession, player).email).toBe('buyer@example.test');
    expect(playerView({ kind: 'operator' }, player).email).toBe('buyer@example.test');
  });

  it('is hidden from games, even one acting for the player, and from other players', () => {
    expect(playerView(gameToken, player).email).toBeNull();
    expect(playerView(secretKey, player).email).toBeNull();
    expect(playerView({ kind: 'player', playerId: 'someone-else', sessionId: 's' }, player).email).toBeNull();
    expect(playerView(gameToken, player).displayName).toBe('Buyer');
  });
});

describe("a purchase's card and fraud decision", () => {
  const friend = '00000000-0000-4000-8000-0000000000f1';
  const gift = {
    ...purchase,
    recipientId: friend,
    cardId: '00000000-0000-4000-8000-0000000000e1',
    riskDecision: 'STEP_UP',
    riskScore: 55,
    riskRules: [{ rule: 'purchases_per_minute', value: 4, threshold: 3 }],
  } as PurchaseRow;
  const recipientSession: Principal = { kind: 'player', playerId: friend, sessionId: 's2' };
  const recipientToken: Principal = { kind: 'player_game', playerId: friend, gameId: game.id, authorizationId: 'a2' };

  it("are hidden from a gift's recipient", async () => {
    for (const principal of [recipientSession, recipientToken]) {
      expect(await visibleCardId(ctxOf(principal), gift)).toBeNull();
      expect(await visibleRisk(ctxOf(principal), gift)).toBeNull();
    }
  });

  it('show the buyer the card and the decision with the rule names, not their values or thresholds', async () => {
    for (const principal of [ownSession, gameToken]) {
      expect(await visibleCardId(ctxOf(principal), gift)).toBe(gift.cardId);
      expect(await visibleRisk(ctxOf(principal), gift)).toEqual({
        decision: 'STEP_UP',
        score: 55,
        rulesFired: [{ rule: 'purchases_per_minute', value: null, threshold: null }],
      });
    }
  });

  it('show the game (secret key) and operators everything', async () => {
    for (const principal of [secretKey, { kind: 'operator' } as Principal]) {
      expect(await visibleCardId(ctxOf(principal), gift)).toBe(gift.cardId);
      expect((await visibleRisk(ctxOf(principal), gift))?.rulesFired).toEqual(gift.riskRules);
    }
  });

  it("hide both from a publishable key, another game's token and the system actor", async () => {
    const publishable: Principal = { kind: 'game_publishable', gameId: game.id, keyId: 'p' };
    const otherGame: Principal = { ...gameToken, gameId: '00000000-0000-4000-8000-0000000000ff' };
    for (const principal of [publishable, otherGame, systemActor('x'), { kind: 'anonymous' } as Principal]) {
      expect(await visibleCardId(ctxOf(principal), gift)).toBeNull();
      expect(await visibleRisk(ctxOf(principal), gift)).toBeNull();
    }
  });
});
