// What Coinslot says to players, in one place: the demo game, the pay sheet and the account page all
// use these texts. Written for a 12-year-old: short words, what happened, whether money moved, and
// what to do next. Pure functions of plain data; no DOM, no imports, safe in any browser or server.

/** What a front end may offer as the next step (each maps it to its own button or link). */
export type NextStep =
  | 'change-card'
  | 'add-card'
  | 'try-again'
  | 'wait'
  | 'connect'
  | 'get-gems'
  | 'change-limit'
  | 'none';

/** A message for the player: `text` says what happened, `next` what to do about it. */
export interface PlayerMessage {
  readonly text: string;
  readonly next: string;
  readonly step: NextStep;
}

/** A sum of money as the API returns it (`formatted` is enough to show). */
export interface ShownMoney {
  readonly amount: string;
  readonly currency: string;
  readonly formatted: string;
}

const NOTHING_CHARGED = 'Nothing was charged.';

/** The message for a card the bank refused, by the acquirer's decline code. */
export function declineMessage(code: string | null | undefined): PlayerMessage {
  switch (code) {
    case 'insufficient_funds':
      return {
        text: `There isn’t enough money on this card. ${NOTHING_CHARGED}`,
        next: 'Try another card, or ask the card’s owner to check it.',
        step: 'change-card',
      };
    case 'expired_card':
      return {
        text: `This card has expired. ${NOTHING_CHARGED}`,
        next: 'Add a newer card to your Coinslot account.',
        step: 'change-card',
      };
    case 'incorrect_cvc':
      return {
        text: `The security code didn’t match the card. ${NOTHING_CHARGED}`,
        next: 'Check the 3 digits on the back of the card (4 on the front for American Express) and try again.',
        step: 'try-again',
      };
    case 'processing_error':
      return {
        text: `The bank couldn’t answer just now. ${NOTHING_CHARGED}`,
        next: 'Try again in a minute.',
        step: 'try-again',
      };
    case 'risk_blocked':
      return {
        text: `Coinslot stopped this purchase to keep your account safe. ${NOTHING_CHARGED}`,
        next: 'If this seems wrong, try another card.',
        step: 'change-card',
      };
    case 'canceled':
      return { text: `This purchase was canceled. ${NOTHING_CHARGED}`, next: 'You can buy it again.', step: 'none' };
    default:
      return {
        text: `The bank said no to this card. ${NOTHING_CHARGED}`,
        next: 'Try another card, or ask the bank why.',
        step: 'change-card',
      };
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * A wait in words people use: "1 minute", "45 minutes", "1 hour", "1 hour and 20 minutes",
 * "about 5 hours", "about 2 days". Never seconds: a minute is the smallest unit shown.
 */
export function formatWait(seconds: number | null | undefined): string {
  const minutes = Math.max(1, Math.ceil((seconds ?? 60) / 60));
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (minutes < 24 * 60) {
    if (rest === 0) return plural(hours, 'hour');
    if (hours < 3) return `${plural(hours, 'hour')} and ${plural(rest, 'minute')}`;
    return `about ${plural(Math.round(minutes / 60), 'hour')}`;
  }
  return `about ${plural(Math.round(minutes / (24 * 60)), 'day')}`;
}

/** A short countdown for a button: "Wait 5 min", "Wait 1 h", "Wait 2 d". */
export function shortWait(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  if (minutes < 60) return `Wait ${minutes} min`;
  const hours = Math.ceil(minutes / 60);
  return hours < 48 ? `Wait ${hours} h` : `Wait ${Math.ceil(hours / 24)} d`;
}

/** Too many purchases in a short time (a velocity limit). */
export function rateLimitedMessage(retryAfterSeconds: number | null | undefined): PlayerMessage {
  return {
    text: `That’s a lot of buying in a short time, so Coinslot is taking a break. ${NOTHING_CHARGED}`,
    next: `You can buy again in ${formatWait(retryAfterSeconds)}.`,
    step: 'wait',
  };
}

/** Too many cards or sign-ins tried in a short time. */
export function tooManyTriesMessage(
  what: 'cards' | 'sign-ins',
  retryAfterSeconds: number | null | undefined,
): PlayerMessage {
  return {
    text:
      what === 'cards'
        ? 'That’s a lot of cards tried in a short time, so Coinslot is taking a break to keep you safe.'
        : 'That’s a lot of sign-in tries in a short time, so Coinslot is taking a break to keep you safe.',
    next: `You can try again in ${formatWait(retryAfterSeconds)}.`,
    step: 'wait',
  };
}

/** The purchase waited too long or was canceled before it was paid. */
export function canceledPurchaseMessage(): PlayerMessage {
  return {
    text: `This purchase ran out of time or was canceled. ${NOTHING_CHARGED}`,
    next: 'Go back to the game and tap Buy again if you still want it.',
    step: 'none',
  };
}

/** Fraud rules paused or refused the purchase. */
export function riskBlockedMessage(retryAfterSeconds: number | null | undefined): PlayerMessage {
  if (retryAfterSeconds && retryAfterSeconds > 0)
    return {
      text: `Coinslot paused buying for a while to keep your account safe. ${NOTHING_CHARGED}`,
      next: `You can try again in ${formatWait(retryAfterSeconds)}.`,
      step: 'wait',
    };
  return declineMessage('risk_blocked');
}

/** The player has no card on file. */
export function noCardMessage(): PlayerMessage {
  return {
    text: 'You need a card in your Coinslot account to buy.',
    next: 'Add a card once; after that, buying is one tap.',
    step: 'add-card',
  };
}

/** A gem-priced item the wallet cannot pay for. */
export function insufficientGemsMessage(price: ShownMoney | null, balance: ShownMoney): PlayerMessage {
  return {
    text: price
      ? `This costs ${price.formatted} and you have ${balance.formatted}.`
      : `You have ${balance.formatted}, not enough for this.`,
    next: 'Get more first, then tap again.',
    step: 'get-gems',
  };
}

/** The price moved between showing and buying. */
export function priceChangedMessage(price: ShownMoney): PlayerMessage {
  return {
    text: `The price just changed to ${price.formatted}. ${NOTHING_CHARGED}`,
    next: 'Check the new price and tap again if you still want it.',
    step: 'try-again',
  };
}

/** Coinslot could not say whether it went through (network, busy): the retry is safe. */
export function unknownOutcomeMessage(button = 'Retry'): PlayerMessage {
  return {
    text: 'We couldn’t tell if that went through.',
    next: `Tap ${button} again: you will never be charged twice for one tap.`,
    step: 'try-again',
  };
}

/** Coinslot is busy and did nothing. */
export function busyMessage(): PlayerMessage {
  return { text: `Coinslot is busy right now. ${NOTHING_CHARGED}`, next: 'Try again in a moment.', step: 'try-again' };
}

/** Sold out, or the most one player may buy. */
export function unavailableMessage(reason: 'sold-out' | 'limit'): PlayerMessage {
  return reason === 'sold-out'
    ? { text: 'Sold out: none are left right now.', next: 'Check back later.', step: 'none' }
    : { text: 'You already have as many of these as you can get.', next: 'Use some first.', step: 'none' };
}

/** The game's connection to Coinslot ended (revoked in the account, or expired). */
export function revokedGameMessage(gameName: string): PlayerMessage {
  return {
    text: `${gameName} isn’t connected to your Coinslot account any more, so it can’t charge your card. Your items are safe.`,
    next: 'Connect again to buy.',
    step: 'connect',
  };
}

/** What revoking a game does, said before the player confirms it. */
export function revokeConsequence(gameName: string): string {
  return `${gameName} will stop being able to charge your card at once. What you bought stays yours. To buy in it again, connect it again.`;
}

/** The allowance a game has, as the player set it. */
export interface Allowance {
  readonly oneTapMax: ShownMoney;
  readonly dailyCap: ShownMoney;
}

/** Why Coinslot asks before charging, as the purchase says it (`Purchase.confirmationReason`). */
export type ConfirmationCause = 'ALWAYS_ASK' | 'OTHER_CURRENCY' | 'ABOVE_ONE_TAP_MAX' | 'DAILY_CAP';

/**
 * Why the pay sheet asks before charging. `cause` is the purchase's own confirmationReason; without
 * it (an older purchase) the reason is inferred from the allowance (null when that is unknown too).
 */
export function confirmationReason(
  gameName: string,
  price: ShownMoney,
  allowance: Allowance | null,
  cause?: ConfirmationCause | string | null,
): string {
  const known =
    cause === 'ALWAYS_ASK' || cause === 'OTHER_CURRENCY' || cause === 'ABOVE_ONE_TAP_MAX' || cause === 'DAILY_CAP'
      ? cause
      : allowance
        ? inferCause(price, allowance)
        : null;
  switch (known) {
    case 'ALWAYS_ASK':
      return `You asked Coinslot to check with you before every purchase in ${gameName}.`;
    case 'OTHER_CURRENCY':
      return allowance
        ? `Your one-tap limit for ${gameName} is in ${allowance.oneTapMax.currency}, and this is priced in ${price.currency}, so Coinslot asks you first.`
        : `This is priced in another money than your one-tap limit for ${gameName}, so Coinslot asks you first.`;
    case 'ABOVE_ONE_TAP_MAX':
      return allowance
        ? `This costs ${price.formatted}. That is more than the ${allowance.oneTapMax.formatted} you let ${gameName} charge with one tap, so Coinslot asks you first.`
        : `This costs ${price.formatted}, more than you let ${gameName} charge with one tap, so Coinslot asks you first.`;
    case 'DAILY_CAP':
      return allowance
        ? `Your one-tap buys in ${gameName} today have reached your daily limit of ${allowance.dailyCap.formatted}, so Coinslot asks you first.`
        : `Your one-tap buys in ${gameName} today have reached your daily limit, so Coinslot asks you first.`;
    default:
      return `Coinslot asks you before ${gameName} charges your card.`;
  }
}

function inferCause(price: ShownMoney, allowance: Allowance): ConfirmationCause {
  if (Number(allowance.oneTapMax.amount) === 0 || Number(allowance.dailyCap.amount) === 0) return 'ALWAYS_ASK';
  if (allowance.oneTapMax.currency !== price.currency) return 'OTHER_CURRENCY';
  if (Number(price.amount) > Number(allowance.oneTapMax.amount)) return 'ABOVE_ONE_TAP_MAX';
  return 'DAILY_CAP';
}

/** Where the player changes the allowance, said under the reason a confirmation is asked. */
export function changeAllowanceHint(gameName: string): string {
  return `To change what ${gameName} may charge with one tap, open your Coinslot account.`;
}

/** Why the CVC is asked: our own safety check, or the bank's. */
export function stepUpReason(reason: 'STEP_UP' | 'AUTHENTICATION' | string | null | undefined): string {
  return reason === 'STEP_UP'
    ? 'To make sure it’s really you, type the security code from the card. You only type it once.'
    : 'Your bank wants to check it’s really you: type the security code from the card.';
}

/** A refund, as the player sees it on a purchase. */
export function refundMessage(
  status: string,
  refunded: ShownMoney | null,
  paidWith: 'CARD' | 'WALLET' | string,
): string {
  const where = paidWith === 'WALLET' ? 'your wallet' : 'your card';
  const amount = refunded ? `${refunded.formatted} went back to ${where}` : `The money went back to ${where}`;
  return status === 'PARTIALLY_REFUNDED'
    ? `Partly refunded: ${amount}. What you still have of the item stays yours.`
    : `Refunded: ${amount}. The game may take back what you had left of the item.`;
}

/** What happens when the default card is removed, for the account page. */
export function removeDefaultCardConsequence(
  connectedGames: readonly string[],
  nextDefault: { brand: string; last4: string } | null,
): string {
  const games =
    connectedGames.length === 0
      ? 'your games'
      : connectedGames.length === 1
        ? connectedGames[0]
        : `${connectedGames.slice(0, -1).join(', ')} and ${connectedGames[connectedGames.length - 1]}`;
  return nextDefault
    ? `This is your default card. After you remove it, ${games} will charge your ${nextDefault.brand} •• ${nextDefault.last4} instead.`
    : `This is your only card. After you remove it, ${games} can’t charge you until you add a new card.`;
}
