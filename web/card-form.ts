// Adding a card: the only place a card number is typed; it goes to Coinslot once and is never kept here.
import { OfflineError, request } from './api.js';
import type { ResultOf } from './graphql.js';
import { AddCardMutation, type CardFields } from './operations.js';
import { declineMessage, tooManyTriesMessage } from '../src/sdk/player-messages.js';
import { brandName, field, h, messageNotice, notice } from './ui.js';

export type Card = ResultOf<typeof CardFields>;

/** A saved card as a row shows it: brand, last four, expiry (MM/YY). */
export function cardSummary(card: Pick<Card, 'brand' | 'last4' | 'expMonth' | 'expYear'>): HTMLElement {
  const expiry = `${String(card.expMonth).padStart(2, '0')}/${String(card.expYear).slice(-2)}`;
  return h(
    'span',
    {},
    h('span', { class: 'brand-badge' }, brandName(card.brand)),
    ` •• ${card.last4}`,
    h('span', { class: 'hint' }, ` · ${expiry}`),
  );
}

/** The sandbox acquirer's test cards (src/acquirer/README.md), offered only in sandbox mode. */
export const TEST_CARDS: readonly { number: string; label: string }[] = [
  { number: '4242 4242 4242 4242', label: 'Visa · approved' },
  { number: '5555 5555 5555 4444', label: 'Mastercard · approved' },
  { number: '3782 822463 10005', label: 'Amex · approved (4-digit CVC)' },
  { number: '4000 0027 6000 3184', label: 'Asks for the CVC on every charge' },
  { number: '4000 0000 0000 9235', label: 'Elevated risk: asks for the CVC' },
  { number: '4000 0000 0000 0341', label: 'Saves, then every charge is declined' },
  { number: '4000 0000 0000 0002', label: 'Declined: generic' },
  { number: '4000 0000 0000 9995', label: 'Declined: insufficient funds' },
  { number: '4000 0000 0000 0069', label: 'Declined: expired card' },
  { number: '4000 0000 0000 0127', label: 'Declined: incorrect CVC' },
  { number: '4000 0000 0000 0119', label: 'Processing error (retryable)' },
  { number: '4100 0000 0000 0019', label: 'Approved, highest risk' },
  { number: '4000 0000 0000 0259', label: 'Approved, disputed later' },
];

/** True when this Coinslot runs against the sandbox acquirer (set on the sheet's <html>). */
export function isSandbox(): boolean {
  return document.documentElement.dataset.sandbox !== 'false';
}

/** The add-card form; `onAdded` receives the saved card (brand and last four only). */
export function cardForm(options: {
  holderName: string;
  makeDefault: boolean;
  submitLabel?: string;
  onAdded: (card: Card) => void;
}): HTMLElement {
  const number = field('card-number', 'Card number', {
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'cc-number',
    placeholder: '1234 1234 1234 1234',
    maxlength: '23',
    spellcheck: 'false',
  });
  const expiry = field('card-expiry', 'Expiry (MM/YY)', {
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'cc-exp',
    placeholder: 'MM/YY',
    maxlength: '5',
  });
  const cvc = field('card-cvc', 'Security code (CVC)', {
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'cc-csc',
    placeholder: '123',
    maxlength: '4',
  });
  const holder = field('card-holder', 'Name on card', { type: 'text', autocomplete: 'cc-name' });
  holder.input.value = options.holderName;
  const status = h('div', { class: 'form-status' });
  const submit = h('button', { type: 'submit', class: 'btn primary wide' }, options.submitLabel ?? 'Save card');

  number.input.addEventListener('input', () => {
    const digits = number.input.value.replace(/\D/g, '').slice(0, 19);
    number.input.value = digits.replace(/(\d{4})(?=\d)/g, '$1 ');
  });
  expiry.input.addEventListener('input', () => {
    const digits = expiry.input.value.replace(/\D/g, '').slice(0, 4);
    expiry.input.value = digits.length > 2 ? `${digits.slice(0, 2)}/${digits.slice(2)}` : digits;
  });

  const fill = (cardNumber: string): void => {
    number.input.value = cardNumber;
    const year = (new Date().getFullYear() + 3) % 100;
    expiry.input.value = `12/${String(year).padStart(2, '0')}`;
    cvc.input.value = cardNumber.startsWith('37') ? '1234' : '123';
    if (!holder.input.value) holder.input.value = options.holderName || 'Test Player';
    for (const f of [number, expiry, cvc, holder]) f.setError('');
    submit.focus();
  };

  const sandbox = isSandbox()
    ? h(
        'details',
        { class: 'test-cards', open: true },
        h('summary', {}, 'Sandbox test cards'),
        h('p', { class: 'hint' }, 'Tap a card to fill the form above. No real money moves in the sandbox.'),
        h(
          'ul',
          {},
          ...TEST_CARDS.map((card) => {
            const button = h(
              'button',
              // The name comes from the visible text (axe: label-content-name-mismatch), with hidden words around it.
              { type: 'button', class: 'test-card' },
              h('span', { class: 'sr-only' }, 'Use test card '),
              h('span', { class: 'mono' }, card.number),
              h('span', { class: 'sr-only' }, ': '),
              h('span', { class: 'hint' }, card.label),
            );
            button.addEventListener('click', () => fill(card.number));
            return h('li', {}, button);
          }),
        ),
      )
    : null;

  const form = h(
    'form',
    { class: 'form', novalidate: true },
    number.wrap,
    h('div', { class: 'field-row' }, expiry.wrap, cvc.wrap),
    holder.wrap,
    status,
    submit,
  );

  let busy = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    for (const f of [number, expiry, cvc, holder]) f.setError('');
    status.replaceChildren();
    const digits = number.input.value.replace(/\D/g, '');
    const exp = /^(\d{2})\/(\d{2})$/.exec(expiry.input.value.trim());
    const month = exp ? Number(exp[1]) : NaN;
    let invalid = false;
    if (digits.length < 12) {
      number.setError('Enter the full card number.');
      invalid = true;
    }
    if (!exp || month < 1 || month > 12) {
      expiry.setError('Enter the expiry as MM/YY.');
      invalid = true;
    }
    if (!/^\d{3,4}$/.test(cvc.input.value)) {
      cvc.setError('Enter the 3 or 4 digits on the card.');
      invalid = true;
    }
    if (!holder.input.value.trim()) {
      holder.setError('Enter the name on the card.');
      invalid = true;
    }
    if (invalid || !exp) {
      form.querySelector<HTMLInputElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    busy = true;
    submit.setAttribute('aria-disabled', 'true');
    submit.classList.add('busy');
    try {
      const { addCard } = await request(AddCardMutation, {
        input: {
          number: digits,
          expMonth: month,
          expYear: 2000 + Number(exp[2]),
          cvc: cvc.input.value,
          holderName: holder.input.value.trim(),
          makeDefault: options.makeDefault,
        },
      });
      switch (addCard.__typename) {
        case 'AddCardPayload':
          // Forget the number and code as soon as Coinslot has them.
          number.input.value = '';
          cvc.input.value = '';
          options.onAdded(addCard.card);
          return;
        case 'CardInvalid': {
          const target = addCard.field.includes('exp')
            ? expiry
            : addCard.field.includes('cvc')
              ? cvc
              : addCard.field.includes('holder')
                ? holder
                : number;
          target.setError(
            `This ${addCard.field.replace(/([A-Z])/g, ' $1').toLowerCase()} is ${addCard.reason.replace(/_/g, ' ')}.`,
          );
          target.input.focus();
          break;
        }
        case 'CardDeclined':
          status.replaceChildren(messageNotice('error', declineMessage(addCard.declineCode)));
          break;
        case 'RateLimited':
          status.replaceChildren(messageNotice('error', tooManyTriesMessage('cards', addCard.retryAfterSeconds)));
          break;
        case 'ValidationError':
          status.replaceChildren(
            notice('error', addCard.fieldErrors.map((i) => i.message).join(' ') || addCard.message),
          );
          break;
        default:
          status.replaceChildren(notice('error', addCard.message));
      }
    } catch (error) {
      status.replaceChildren(
        notice('error', error instanceof OfflineError ? error.message : 'The card could not be saved. Try again.'),
      );
    } finally {
      busy = false;
      submit.removeAttribute('aria-disabled');
      submit.classList.remove('busy');
    }
  });

  // The test cards go below the form, so the Save button stays in view on a phone.
  return h('div', { class: 'card-form' }, form, sandbox);
}
