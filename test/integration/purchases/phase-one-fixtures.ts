import { randomUUID } from 'node:crypto';
import { riskEventRecord } from '../../../src/modules/fraud/index.js';
import type { PhaseOneInput } from '../../../src/modules/purchases/phase-one.js';

/** Who buys what: database ids. */
export interface PhaseOneBuyer {
  readonly gameId: string;
  readonly playerId: string;
  readonly cardId: string;
}

/**
 * Phase 1's input for one unit at 99 USD of an item, by a buyer who allowed one tap up to 1000 a
 * purchase and 5000 a day, the fraud rules allowing it; `changes` and `rest` change any of it.
 */
export function phaseOneOrder(
  who: PhaseOneBuyer,
  itemId: string,
  changes: Partial<PhaseOneInput['purchase']> = {},
  rest: Partial<Omit<PhaseOneInput, 'purchase'>> = {},
): PhaseOneInput {
  const now = new Date();
  const purchase = {
    id: randomUUID(),
    createdAt: now,
    gameId: who.gameId,
    playerId: who.playerId,
    recipientId: who.playerId,
    itemId,
    quantity: 1,
    unitPriceMinor: 99,
    amountMinor: 99,
    currency: 'USD',
    feeBps: 500,
    idempotencyKey: randomUUID(),
    cardId: who.cardId,
    riskDecision: 'ALLOW' as const,
    riskScore: 10,
    riskRules: [],
    confirmationReason: 'one_tap_max',
    expiresAt: new Date(now.getTime() + 15 * 60_000),
    stockHoldUntil: new Date(now.getTime() + 3 * 60_000),
    ...changes,
  };
  return {
    purchase,
    riskEvent: riskEventRecord({
      gameId: purchase.gameId,
      playerId: purchase.playerId,
      purchaseId: purchase.id,
      kind: 'purchase',
      decision: purchase.riskDecision,
      score: purchase.riskScore,
      rulesFired: purchase.riskRules,
      cardFingerprint: 'fp-test',
    }),
    item: { kind: 'CONSUMABLE', maxPerPlayer: null },
    allowance: { oneTapMax: { amountMinor: 1000, currency: 'USD' }, dailyCap: { amountMinor: 5000 } },
    maxUnconfirmed: 5,
    now,
    ...rest,
  };
}
