import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  busyMessage,
  canceledPurchaseMessage,
  changeAllowanceHint,
  confirmationReason,
  declineMessage,
  formatWait,
  priceChangedMessage,
  rateLimitedMessage,
  refundMessage,
  removeDefaultCardConsequence,
  revokeConsequence,
  revokedGameMessage,
  riskBlockedMessage,
  shortWait,
  stepUpReason,
  tooManyTriesMessage,
  unknownOutcomeMessage,
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

  it('says why a confirmation is asked from the purchase’s own reason, with or without the allowance', () => {
    const allowance = { oneTapMax: usd('500'), dailyCap: usd('2000') };
    // The purchase's reason wins over what the allowance would suggest (it may have changed since).
    expect(confirmationReason('Comet Dodge', usd('99'), allowance, 'ABOVE_ONE_TAP_MAX')).toBe(
      'This costs $0.99. That is more than the $5.00 you let Comet Dodge charge with one tap, so Coinslot asks you first.',
    );
    expect(confirmationReason('Comet Dodge', usd('999'), allowance, 'DAILY_CAP')).toBe(
      'Your one-tap buys in Comet Dodge today have reached your daily limit of $20.00, so Coinslot asks you first.',
    );
    expect(confirmationReason('Comet Dodge', usd('999'), allowance, 'ALWAYS_ASK')).toBe(
      'You asked Coinslot to check with you before every purchase in Comet Dodge.',
    );
    expect(
      confirmationReason(
        'Comet Dodge',
        { amount: '500', currency: 'EUR', formatted: '€5.00' },
        allowance,
        'OTHER_CURRENCY',
      ),
    ).toMatch(/one-tap limit for Comet Dodge is in USD, and this is priced in EUR/);
    // A disconnected game (no allowance) still gets the reason, without amounts.
    expect(confirmationReason('Comet Dodge', usd('999'), null, 'ABOVE_ONE_TAP_MAX')).toBe(
      'This costs $9.99, more than you let Comet Dodge charge with one tap, so Coinslot asks you first.',
    );
    expect(confirmationReason('Comet Dodge', usd('999'), null, null)).toBe(
      'Coinslot asks you before Comet Dodge charges your card.',
    );
    expect(changeAllowanceHint('Comet Dodge')).toMatch(/open your Coinslot account/);
    expect(stepUpReason('AUTHENTICATION')).toMatch(/Your bank wants to check/);
  });

  it('says limits and pauses in minutes or hours, with what to do next', () => {
    expect(rateLimitedMessage(3595)).toMatchObject({
      next: 'You can buy again in 1 hour.',
      step: 'wait',
    });
    expect(rateLimitedMessage(3595).text).toMatch(/Nothing was charged\./);
    expect(riskBlockedMessage(90 * 60).next).toBe('You can try again in 1 hour and 30 minutes.');
    expect(riskBlockedMessage(null)).toEqual(declineMessage('risk_blocked'));
    expect(tooManyTriesMessage('cards', 600).next).toBe('You can try again in 10 minutes.');
    expect(tooManyTriesMessage('sign-ins', 30).next).toBe('You can try again in 1 minute.');
    for (const m of [rateLimitedMessage(45), riskBlockedMessage(45), tooManyTriesMessage('cards', 45)])
      expect(`${m.text} ${m.next}`).not.toMatch(/\d+ ?s\b|seconds?/);
  });

  it('says what a refund, a revoked game and other outcomes mean, each with a next step', () => {
    expect(refundMessage('REFUNDED', usd('499'), 'CARD')).toBe(
      'Refunded: $4.99 went back to your card. The game may take back what you had left of the item.',
    );
    expect(refundMessage('PARTIALLY_REFUNDED', usd('100'), 'WALLET')).toMatch(
      /^Partly refunded: \$1\.00 went back to your wallet\. What you still have/,
    );
    expect(revokedGameMessage('Comet Dodge')).toEqual({
      text: 'Comet Dodge isn’t connected to your Coinslot account any more, so it can’t charge your card. Your items are safe.',
      next: 'Connect again to buy.',
      step: 'connect',
    });
    expect(revokeConsequence('Comet Dodge')).toMatch(/stop being able to charge your card at once/);
    expect(priceChangedMessage(usd('199')).text).toBe('The price just changed to $1.99. Nothing was charged.');
    expect(unknownOutcomeMessage('Pay').next).toBe('Tap Pay again: you will never be charged twice for one tap.');
    for (const m of [busyMessage(), canceledPurchaseMessage(), priceChangedMessage(usd('1'))]) {
      expect(m.text).toMatch(/Nothing was charged\./);
      expect(m.next.length).toBeGreaterThan(10);
    }
  });

  it('is where the pay sheet takes its texts from: no decline, wait or limit sentence of its own', () => {
    for (const file of ['web/pay.ts', 'web/card-form.ts', 'web/account.ts', 'web/ui.ts']) {
      const source = readFileSync(file, 'utf8');
      expect(source, file).not.toMatch(/has insufficient funds|Try again in \$\{|\} s`|function formatWait/);
    }
    expect(readFileSync('web/pay.ts', 'utf8')).toMatch(/from '\.\.\/src\/sdk\/player-messages\.js'/);
  });

  it('says what removing the default card does to connected games', () => {
    expect(removeDefaultCardConsequence(['Comet Dodge'], { brand: 'Mastercard', last4: '4444' })).toBe(
      'This is your default card. After you remove it, Comet Dodge will charge your Mastercard •• 4444 instead.',
    );
    expect(removeDefaultCardConsequence(['A', 'B', 'C'], null)).toMatch(/A, B and C can’t charge you/);
  });
});
