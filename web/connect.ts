// Connect a game: a card on file (added once), then a one-tap allowance; the game receives only a game token.
import { OfflineError, request } from './api.js';
import { cardForm, type Card } from './card-form.js';
import { closeSheet, tell } from './messages.js';
import { AuthorizeGameMutation, CurrentAllowancesQuery } from './operations.js';
import { actionButton, brandName, currencyDigits, formatMinor, h, notice, show } from './ui.js';

/** Coinslot Connect (/oauth/authorize): where the code goes, checked by the server before this page opened. */
export interface OAuthRequest {
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly state: string;
  /** response_mode=web_message: the code goes by postMessage to the opener at redirectUri (an origin). */
  readonly webMessage: boolean;
}

/** Hands the answer to the game: a message to its registered origin only, or a redirect. */
function answer(oauth: OAuthRequest, redirectTo: string): void {
  const url = new URL(redirectTo);
  if (oauth.webMessage) {
    const opener = window.opener as Window | null;
    const message = Object.fromEntries(url.searchParams);
    // targetOrigin is the registered origin the server built redirectTo from: never '*'.
    opener?.postMessage({ type: 'coinslot:authorization', ...message }, url.origin);
    window.close();
  } else location.assign(url.href);
}

/** The player said no: RFC 6749 §4.1.2.1 access_denied, with the same state. */
export function deny(oauth: OAuthRequest): void {
  const url = new URL(oauth.redirectUri);
  url.searchParams.set('error', 'access_denied');
  url.searchParams.set('state', oauth.state);
  answer(oauth, url.href);
}

export interface ConnectContext {
  readonly oauth?: OAuthRequest;
  readonly gameId: string;
  readonly gameName: string;
  readonly currency: string;
  readonly displayName: string;
  readonly cards: readonly Card[];
  /** The allowance the game has now (a reconnect), in the game's currency; null for a first connect. */
  readonly current?: CurrentAllowance | null;
}

/** A game's allowance as it stands, in minor units. */
interface CurrentAllowance {
  readonly oneTapMax: number;
  readonly dailyCap: number;
  readonly said: string;
}

/** The allowance this player already gave the game (a reconnect from another device), or null. */
async function currentAllowance(gameId: string, currency: string): Promise<CurrentAllowance | null> {
  const { viewer } = await request(CurrentAllowancesQuery, {});
  const auth = viewer.authorizations?.edges.map((e) => e.node).find((a) => a.game.id === gameId);
  // An allowance in another currency than the game's prices is not one the choices below can show.
  if (!auth || auth.oneTapMax.currency !== currency || auth.dailyCap.currency !== currency) return null;
  const oneTapMax = Number(auth.oneTapMax.amount);
  const dailyCap = Number(auth.dailyCap.amount);
  return {
    oneTapMax,
    dailyCap,
    said:
      oneTapMax === 0 || dailyCap === 0
        ? 'Now: Coinslot asks you before every purchase.'
        : `Now: one tap up to ${auth.oneTapMax.formatted}, at most ${auth.dailyCap.formatted} a day.`,
  };
}

/**
 * Runs the connect flow from the first missing step. A game connected before (on another device, or
 * forgotten on this one) starts from the allowance it has, so allowing again never resets it.
 */
export async function connect(context: ConnectContext): Promise<void> {
  const withCurrent = { ...context, current: await currentAllowance(context.gameId, context.currency) };
  const card = withCurrent.cards.find((c) => c.isDefault) ?? withCurrent.cards[0];
  if (!card) addCardStep(withCurrent);
  else authorizeStep(withCurrent, card);
}

function addCardStep(context: ConnectContext): void {
  show(
    h('p', { class: 'step' }, 'Step 1 of 2'),
    h('h1', {}, 'Add a card'),
    h('p', { class: 'lead' }, 'Coinslot keeps it safe. Games never see your card number.'),
    cardForm({
      holderName: context.displayName,
      makeDefault: true,
      submitLabel: 'Save card and continue',
      onAdded: (card) => authorizeStep({ ...context, cards: [card] }, card, 'Step 2 of 2'),
    }),
  );
}

/**
 * Allowance presets in major units; a zero-decimal currency (JPY) gets larger steps. `current` (the
 * allowance the game has now) is one of the choices even when it is not a preset.
 */
function presets(currency: string, majors: number[], current?: number): { minor: number; label: string }[] {
  const digits = currencyDigits(currency);
  const scale = digits === 0 ? 100 : 10 ** digits;
  const minors = majors.map((major) => major * scale);
  if (current !== undefined && !minors.includes(current)) minors.push(current);
  return minors
    .sort((a, b) => a - b)
    .map((minor) => ({ minor, label: minor === 0 ? 'Always ask' : formatMinor(minor, currency) }));
}

function choice(
  name: string,
  legend: string,
  options: { minor: number; label: string }[],
  selected: number,
): { element: HTMLElement; value(): number } {
  const element = h(
    'fieldset',
    { class: 'choices' },
    h('legend', {}, legend),
    h(
      'div',
      { class: 'chips' },
      ...options.map((option) => {
        const id = `${name}-${option.minor}`;
        const input = h('input', {
          type: 'radio',
          name,
          id,
          value: String(option.minor),
          checked: option.minor === selected,
        });
        return h('div', { class: 'chip' }, input, h('label', { for: id }, option.label));
      }),
    ),
  );
  return {
    element,
    value: () => Number(element.querySelector<HTMLInputElement>('input:checked')?.value ?? selected),
  };
}

function authorizeStep(context: ConnectContext, card: Card, step?: string): void {
  const { currency } = context;
  const scale = currencyDigits(currency) === 0 ? 100 : 10 ** currencyDigits(currency);
  const { current } = context;
  const oneTap = choice(
    'one-tap',
    'One tap, without asking, up to',
    presets(currency, [0, 1, 2, 5, 10, 20], current?.oneTapMax),
    current?.oneTapMax ?? 5 * scale,
  );
  const daily = choice(
    'daily-cap',
    'At most per day',
    presets(currency, [10, 20, 50, 100], current?.dailyCap),
    current?.dailyCap ?? 50 * scale,
  );
  const status = h('div', { class: 'form-status' });
  const allow = actionButton('Allow one-tap purchases', async () => {
    status.replaceChildren();
    try {
      const { authorizeGame } = await request(AuthorizeGameMutation, {
        input: {
          gameId: context.gameId,
          oneTapMax: { amount: String(oneTap.value()), currency },
          dailyCap: { amount: String(daily.value()), currency },
          ...(context.oauth
            ? {
                redirectUri: context.oauth.redirectUri,
                codeChallenge: context.oauth.codeChallenge,
                codeChallengeMethod: 'S256',
                state: context.oauth.state,
              }
            : {}),
        },
      });
      if (authorizeGame.__typename !== 'AuthorizeGamePayload') {
        const text =
          authorizeGame.__typename === 'ValidationError'
            ? authorizeGame.fieldErrors.map((i) => i.message).join(' ') || authorizeGame.message
            : authorizeGame.message;
        status.replaceChildren(notice('error', text));
        return;
      }
      if (context.oauth && authorizeGame.redirectTo) {
        show(
          h('h1', {}, `${context.gameName} is connected`),
          h('p', { class: 'hint center' }, 'Returning to the game…'),
        );
        answer(context.oauth, authorizeGame.redirectTo);
        return;
      }
      // Without OAuth fields the token comes back here (the OAuth flow has redirectTo instead).
      const told =
        authorizeGame.gameToken !== null && tell({ type: 'coinslot:connected', gameToken: authorizeGame.gameToken });
      show(
        h('div', { class: 'done-mark', 'aria-hidden': 'true' }, '✓'),
        h('h1', {}, `${context.gameName} is connected`),
        h(
          'p',
          { class: 'lead' },
          `One tap up to ${authorizeGame.authorization.oneTapMax.formatted}, at most ${authorizeGame.authorization.dailyCap.formatted} a day. Above that, Coinslot asks you first.`,
        ),
        told
          ? h('p', { class: 'hint center' }, 'Returning to the game…')
          : h('p', { class: 'lead' }, 'You can go back to the game now.'),
      );
    } catch (error) {
      status.replaceChildren(
        notice('error', error instanceof OfflineError ? error.message : 'Could not connect the game. Try again.'),
      );
    }
  });
  allow.classList.add('wide');
  const notNow = h('button', { type: 'button', class: 'btn secondary wide' }, 'Not now');
  notNow.addEventListener('click', () => (context.oauth ? deny(context.oauth) : closeSheet()));

  show(
    step ? h('p', { class: 'step' }, step) : null,
    h('h1', {}, `Allow ${context.gameName} to charge with one tap?`),
    h(
      'p',
      { class: 'card-line' },
      h('span', { class: 'brand-badge' }, brandName(card.brand)),
      ` •• ${card.last4}`,
      h(
        'span',
        { class: 'hint' },
        ` · expires ${String(card.expMonth).padStart(2, '0')}/${String(card.expYear).slice(-2)}`,
      ),
    ),
    current ? h('p', { class: 'lead current-allowance' }, `${current.said} Keep it, or choose new limits.`) : null,
    oneTap.element,
    daily.element,
    h(
      'p',
      { class: 'hint' },
      'Above these limits Coinslot asks you to confirm each purchase. You can change or revoke this any time in ',
      // The promise is kept on the account page: limits, disconnecting the game, cards, history.
      h('a', { href: '/account#games-title', target: '_blank', rel: 'noopener' }, 'your Coinslot account'),
      '.',
    ),
    status,
    h('div', { class: 'actions' }, allow, notNow),
  );
}
