// A one-tap allowance's amounts are parsed once, at the boundary (parseInput with the verbs' schemas,
// as the resolvers do), by the one parser of minor units; the verbs get Money and only apply the
// allowance's rules (allowanceOf).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  allowanceOf,
  authorizeGameInput,
  updateGameAuthorizationInput,
} from '../../src/modules/authorizations/index.js';
import { ValidationError } from '../../src/shared/errors.js';
import { MINOR_UNITS_MESSAGES } from '../../src/shared/money.js';
import { parseInput } from '../../src/shared/validation.js';

const money = (amount: string, currency = 'USD') => ({ amount, currency });

function issuesOf(work: () => unknown): { path: string; message: string }[] {
  try {
    work();
  } catch (error) {
    if (error instanceof ValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('no ValidationError');
}

describe('the allowance at the boundary', () => {
  it('gives both verbs Money: whole minor units as numbers, zero allowed', () => {
    const gameId = randomUUID();
    expect(parseInput(authorizeGameInput, { gameId, oneTapMax: money('0'), dailyCap: money(' 2000 ') })).toEqual({
      gameId,
      oneTapMax: { amountMinor: 0, currency: 'USD' },
      dailyCap: { amountMinor: 2000, currency: 'USD' },
    });
    const authorizationId = randomUUID();
    expect(
      parseInput(updateGameAuthorizationInput, { authorizationId, oneTapMax: money('500'), dailyCap: money('2000') }),
    ).toEqual({
      authorizationId,
      oneTapMax: { amountMinor: 500, currency: 'USD' },
      dailyCap: { amountMinor: 2000, currency: 'USD' },
    });
  });

  it("refuses amounts that are not minor units with the one parser's wording, on each amount's path", () => {
    const issues = issuesOf(() =>
      parseInput(updateGameAuthorizationInput, {
        authorizationId: randomUUID(),
        oneTapMax: money('4.99'),
        dailyCap: money('99999999999999999'),
      }),
    );
    expect(issues).toEqual([
      { path: 'input.oneTapMax.amount', message: MINOR_UNITS_MESSAGES.not_an_integer },
      { path: 'input.dailyCap.amount', message: MINOR_UNITS_MESSAGES.too_large },
    ]);
    expect(
      issuesOf(() =>
        parseInput(authorizeGameInput, { gameId: randomUUID(), oneTapMax: money('-1'), dailyCap: money('') }),
      ),
    ).toEqual([
      { path: 'input.oneTapMax.amount', message: 'must not be negative' },
      { path: 'input.dailyCap.amount', message: MINOR_UNITS_MESSAGES.not_an_integer },
    ]);
  });
});

describe('allowanceOf, the rules on parsed amounts', () => {
  const usd = (amountMinor: number, currency = 'USD') => ({ amountMinor, currency });

  it('keeps the allowance as its columns', () => {
    expect(allowanceOf(usd(500), usd(2000))).toEqual({ oneTapMaxMinor: 500, dailyCapMinor: 2000, currency: 'USD' });
    expect(allowanceOf(usd(0), usd(0))).toEqual({ oneTapMaxMinor: 0, dailyCapMinor: 0, currency: 'USD' });
  });

  it('refuses a maximum above the cap, two currencies, a game currency and amounts no parser gives', () => {
    expect(issuesOf(() => allowanceOf(usd(2001), usd(2000)))).toEqual([
      { path: 'input.oneTapMax.amount', message: 'must not be above the daily cap' },
    ]);
    expect(issuesOf(() => allowanceOf(usd(500), usd(2000, 'EUR')))).toEqual([
      { path: 'input.dailyCap.currency', message: 'must be the currency of oneTapMax' },
    ]);
    expect(issuesOf(() => allowanceOf(usd(500, 'GEM'), usd(2000, 'GEM'))).map((i) => i.path)).toEqual([
      'input.oneTapMax.currency',
      'input.dailyCap.currency',
    ]);
    expect(issuesOf(() => allowanceOf(usd(-1), usd(0.5)))).toEqual([
      { path: 'input.oneTapMax.amount', message: 'must not be negative' },
      { path: 'input.dailyCap.amount', message: MINOR_UNITS_MESSAGES.not_an_integer },
    ]);
  });
});
