import { describe, expect, it } from 'vitest';
import {
  confirmationReason,
  declineMessage,
  formatWait,
  removeDefaultCardConsequence,
  shortWait,
  stepUpReason,
} from '../../src/sdk/player-messages.js';

const usd = (amount: string) => ({
  amount,
  currency: 'USD',
  formatted: `$${(Number(amount) / 100).toFixed(2)}`,
});

describe('player messages', () => {
  it('says waits in minutes, hours or days, never seconds', () => {
    expect(formatWait(3595)).toBe('1 hour');
    expect(formatWait(5)).toBe('1 minute');
    expect(formatWait(90)).toBe('2 minutes');
    expect(formatWait(59 * 60)).toBe('59 minutes');
    expect(formatWait(3660)).toBe('1 hour and 1 minute');
    expect(formatWait(2 * 3600 + 30 * 60)).toBe('2 hours and 30 minutes');
    expect(formatWait(4 * 3600)).toBe('4 hours');
    expect(formatWait(4.5 * 3600)).toBe('about 5 hours');
    expect(formatWait(2 * 86_400)).toBe('about 2 days');
    expect(shortWait(3595)).toBe('Wait 1 h');
    expect(shortWait(30)).toBe('Wait 1 min');
  });

  it('gives every decline a next step and says nothing was charged', () => {
    for (const code of [
      'insufficient_funds',
      'expired_card',
      'incorrect_cvc',
      'processing_error',
      'card_declined',
      null,
    ]) {
      const message = declineMessage(code);
      expect(message.text).toMatch(/Nothing was charged\./);
      expect(message.next.length).toBeGreaterThan(10);
    }
    expect(declineMessage('insufficient_funds').step).toBe('change-card');
    expect(declineMessage('incorrect_cvc').step).toBe('try-again');
  });

  it('explains why a confirmation is asked, from the allowance', () => {
    const allowance = { oneTapMax: usd('500'), dailyCap: usd('2000') };
    expect(confirmationReason('Comet Dodge', usd('999'), allowance)).toMatch(
      /costs \$9\.99.*more than the \$5\.00 you let Comet Dodge charge with one tap/,
    );
    expect(confirmationReason('Comet Dodge', usd('99'), allowance)).toMatch(/daily limit of \$20\.00/);
    expect(confirmationReason('Comet Dodge', usd('99'), { oneTapMax: usd('0'), dailyCap: usd('0') })).toMatch(
      /check with you before every purchase/,
    );
    expect(stepUpReason('STEP_UP')).toMatch(/only type it once/);
  });

  it('says what removing the default card does to connected games', () => {
    expect(removeDefaultCardConsequence(['Comet Dodge'], { brand: 'Mastercard', last4: '4444' })).toBe(
      'This is your default card. After you remove it, Comet Dodge will charge your Mastercard •• 4444 instead.',
    );
    expect(removeDefaultCardConsequence(['A', 'B', 'C'], null)).toMatch(/A, B and C can’t charge you/);
  });
});
