// Connect a game: a card on file (added once), then a one-tap allowance; the game receives only a game token.
import { OfflineError, request } from './api.js';
import { cardForm, type Card } from './card-form.js';
import { closeSheet, tell } from './messages.js';
import { AuthorizeGameMutation } from './operations.js';
import { actionButton, brandName, currencyDigits, formatMinor, h, notice, show } from './ui.js';

export interface ConnectContext {
  readonly gameId: string;
  readonly gameName: string;
  readonly currency: string;
  readonly displayName: string;
  readonly cards: readonly Card[];
}

/** Runs the connect flow from the first missing step. */
export function connect(context: ConnectContext): void {
  const card = context.cards.find((c) => c.isDefault) ?? context.cards[0];
  if (!card) addCardStep(context);
  else authorizeStep(context, card);
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

/** Allowance presets in major units; a zero-decimal currency (JPY) gets larger steps. */
function presets(currency: string, majors: number[]): { minor: number; label: string }[] {
  const digits = currencyDigits(currency);
  const scale = digits === 0 ? 100 : 10 ** digits;
  return majors.map((major) => {
    const minor = major * scale;
    return { minor, label: minor === 0 ? 'Always ask' : formatMinor(minor, currency) };
  });
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
  const oneTap = choice(
    'one-tap',
    'One tap, without asking, up to',
    presets(currency, [0, 1, 2, 5, 10, 20]),
    5 * scale,
  );
  const daily = choice('daily-cap', 'At most per day', presets(currency, [10, 20, 50, 100]), 50 * scale);
  const status = h('div', { class: 'form-status' });
  const allow = actionButton('Allow one-tap purchases', async () => {
    status.replaceChildren();
    try {
      const { authorizeGame } = await request(AuthorizeGameMutation, {
        input: {
          gameId: context.gameId,
          oneTapMax: { amount: String(oneTap.value()), currency },
          dailyCap: { amount: String(daily.value()), currency },
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
  notNow.addEventListener('click', () => closeSheet());

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
    oneTap.element,
    daily.element,
    h(
      'p',
      { class: 'hint' },
      'Above these limits Coinslot asks you to confirm each purchase. You can change or revoke this any time.',
    ),
    status,
    h('div', { class: 'actions' }, allow, notNow),
  );
}
