// /pay/<purchaseId>: the item, the price, the card, one Pay button; the CVC on a step-up; another card after a decline.
// Every sentence about what happened and what to do next comes from src/sdk/player-messages.ts.
import {
  busyMessage,
  canceledPurchaseMessage,
  changeAllowanceHint,
  confirmationReason,
  declineMessage,
  priceChangedMessage,
  rateLimitedMessage,
  refundMessage,
  revokedGameMessage,
  riskBlockedMessage,
  stepUpReason,
  unknownOutcomeMessage,
  type Allowance,
  type PlayerMessage,
} from '../src/sdk/player-messages.js';
import { ApiError, OfflineError, request } from './api.js';
import { cardForm, type Card } from './card-form.js';
import type { ResultOf } from './graphql.js';
import { closeSheet, tell } from './messages.js';
import { CancelPurchaseMutation, ConfirmPurchaseMutation, PurchaseQuery, type PurchaseFields } from './operations.js';
import { brandName, field, h, messageNotice, show, showLoading } from './ui.js';

type Purchase = ResultOf<typeof PurchaseFields>;
type PayData = ResultOf<typeof PurchaseQuery>;

/** The allowance the player gave the purchase's game (null when it is not connected any more). */
function allowanceOf(data: PayData, gameId: string): Allowance | null {
  const node = data.viewer.authorizations.edges.find((e) => e.node.game.id === gameId)?.node;
  return node ? { oneTapMax: node.oneTapMax, dailyCap: node.dailyCap } : null;
}

interface PayState {
  purchase: Purchase;
  cards: Card[];
  cardId: string | null;
  /** The allowance of the purchase's game, for saying why a confirmation is asked. */
  allowance: Allowance | null;
  /** Shown above the Pay button (a decline, a limit): what happened and the next step. */
  message: { tone: 'error' | 'info'; say: Pick<PlayerMessage, 'text' | 'next'> } | null;
  /** Idempotency keys of confirm attempts whose outcome is unknown, by card and code: a retry reuses its key. */
  keys: Map<string, string>;
}

const CONFIRMABLE = new Set(['REQUIRES_CONFIRMATION', 'REQUIRES_ACTION']);

/** Loads the purchase and shows the right screen for its status. */
export async function pay(purchaseId: string, cards: Card[]): Promise<void> {
  showLoading('Loading your purchase…');
  let data: PayData;
  try {
    data = await request(PurchaseQuery, { id: purchaseId });
  } catch (error) {
    return failure(
      error instanceof OfflineError ? error.message : 'This purchase could not be loaded.',
      () => void pay(purchaseId, cards),
    );
  }
  const purchase = data.purchase;
  if (!purchase) return failure('This purchase was not found in your Coinslot account.', null);
  const initial = cards.find((c) => c.isDefault) ?? cards[0];
  route({
    purchase,
    cards,
    cardId: initial?.id ?? null,
    allowance: allowanceOf(data, purchase.game.id),
    message: null,
    keys: new Map(),
  });
}

function route(state: PayState): void {
  const { purchase } = state;
  switch (purchase.status) {
    case 'REQUIRES_CONFIRMATION':
    case 'REQUIRES_ACTION':
      return confirmScreen(state);
    case 'PROCESSING':
      return processing(state);
    case 'SUCCEEDED':
      return paid(purchase);
    case 'FAILED':
      return declined(state);
    case 'CANCELED':
      return ended('This purchase ended', canceledPurchaseMessage());
    default:
      return ended(purchase.status === 'PARTIALLY_REFUNDED' ? 'Partly refunded' : 'Refunded', {
        text: refundMessage(purchase.status, purchase.refunded, purchase.paidWith),
        next: 'Your purchases and their receipts are in your Coinslot account.',
      });
  }
}

function summary(purchase: Purchase): HTMLElement {
  return h(
    'section',
    { class: 'summary', 'aria-label': 'Purchase' },
    h(
      'div',
      {},
      h(
        'p',
        { class: 'item-name' },
        purchase.quantity > 1 ? `${purchase.item.name} × ${purchase.quantity}` : purchase.item.name,
      ),
      purchase.item.description ? h('p', { class: 'hint' }, purchase.item.description) : null,
    ),
    h('p', { class: 'price' }, purchase.price.formatted),
  );
}

function confirmScreen(state: PayState): void {
  const { purchase } = state;
  const stepUp = purchase.status === 'REQUIRES_ACTION';
  const selected = state.cards.find((c) => c.id === state.cardId) ?? null;
  const status = h(
    'div',
    { class: 'form-status' },
    state.message ? messageNotice(state.message.tone, state.message.say) : null,
  );
  const cvc = stepUp
    ? field('cvc', `Security code of ${selected ? `${brandName(selected.brand)} •• ${selected.last4}` : 'your card'}`, {
        type: 'text',
        inputmode: 'numeric',
        autocomplete: 'cc-csc',
        maxlength: '4',
        placeholder: '123',
      })
    : null;

  const chooser = h(
    'fieldset',
    { class: 'cards' },
    h('legend', {}, 'Pay with'),
    ...state.cards.map((card) => {
      const id = `card-${card.id.replace(/[^A-Za-z0-9_-]/g, '')}`;
      const input = h('input', { type: 'radio', name: 'card', id, value: card.id, checked: card.id === state.cardId });
      input.addEventListener('change', () => {
        state.cardId = card.id;
        state.message = null;
        confirmScreen(state);
        document.getElementById(id)?.focus();
      });
      return h(
        'div',
        { class: 'card-option' },
        input,
        h(
          'label',
          { for: id },
          h('span', { class: 'brand-badge' }, brandName(card.brand)),
          ` •• ${card.last4}`,
          card.isDefault ? h('span', { class: 'hint default-mark' }, '· default') : null,
        ),
      );
    }),
  );
  const addAnother = h(
    'button',
    { type: 'button', class: 'btn link' },
    state.cards.length ? 'Use another card' : 'Add a card',
  );
  const addBox = h('div', { class: 'add-card', hidden: true });
  addAnother.addEventListener('click', () => {
    addBox.hidden = false;
    addAnother.hidden = true;
    addBox.replaceChildren(
      h('h2', {}, 'Add a card'),
      cardForm({
        holderName: '',
        makeDefault: false,
        submitLabel: 'Add card',
        onAdded: (card) => {
          tell({ type: 'coinslot:cards-changed' });
          confirmScreen({ ...state, cards: [...state.cards, card], cardId: card.id, message: null });
        },
      }),
    );
    addBox.querySelector<HTMLElement>('h2')?.focus();
  });

  const payButton = h('button', { type: 'button', class: 'btn primary wide pay' }, `Pay ${purchase.price.formatted}`);
  if (!selected) payButton.setAttribute('aria-disabled', 'true');
  let busy = false;
  payButton.addEventListener('click', async () => {
    if (busy || !state.cardId) return;
    const code = cvc?.input.value.trim() ?? '';
    if (cvc && !/^\d{3,4}$/.test(code)) {
      cvc.setError('Enter the 3 or 4 digits on the back of the card.');
      cvc.input.focus();
      return;
    }
    busy = true;
    payButton.setAttribute('aria-disabled', 'true');
    payButton.classList.add('busy');
    payButton.textContent = 'Paying…';
    try {
      await confirm(state, code || null);
    } finally {
      busy = false;
      if (payButton.isConnected) {
        payButton.removeAttribute('aria-disabled');
        payButton.classList.remove('busy');
        payButton.textContent = `Pay ${purchase.price.formatted}`;
      }
    }
  });
  const cancel = h('button', { type: 'button', class: 'btn secondary wide' }, 'Cancel');
  cancel.addEventListener('click', async () => {
    cancel.setAttribute('aria-disabled', 'true');
    // Best effort: a canceled purchase gives its stock back at once instead of when it expires.
    await request(CancelPurchaseMutation, { input: { purchaseId: purchase.id } }).catch(() => undefined);
    tell({ type: 'coinslot:purchase', purchaseId: purchase.id, status: 'CANCELED' });
    closeSheet();
  });

  // Why Coinslot asks: the purchase's own reason (above the one-tap limit, the daily cap, "always ask"),
  // or the CVC check; and where the limits are changed.
  const why = stepUp
    ? h('p', { class: 'lead why' }, stepUpReason(purchase.requiresActionReason))
    : h(
        'div',
        { class: 'why' },
        h(
          'p',
          { class: 'lead' },
          confirmationReason(purchase.game.name, purchase.price, state.allowance, purchase.confirmationReason),
        ),
        h(
          'p',
          { class: 'hint' },
          changeAllowanceHint(purchase.game.name),
          ' ',
          h('a', { href: '/account#games-title', target: '_blank', rel: 'noopener' }, 'Change limits'),
        ),
      );
  show(
    h('h1', {}, stepUp ? 'Confirm it’s you' : 'Confirm purchase'),
    summary(purchase),
    why,
    chooser,
    addAnother,
    addBox,
    cvc?.wrap ?? null,
    status,
    h('div', { class: 'actions' }, payButton, cancel),
    h('p', { class: 'hint center' }, 'Charged once, even if you tap twice.'),
  );
  if (state.message?.tone === 'error') status.querySelector<HTMLElement>('.notice')?.focus?.();
}

/** Sends confirmPurchase with one key per intended confirmation; an unknown outcome keeps the key for the retry. */
async function confirm(state: PayState, cvc: string | null): Promise<void> {
  const attempt = `${state.cardId}|${cvc ?? ''}`;
  let key = state.keys.get(attempt);
  if (!key) {
    key = crypto.randomUUID();
    state.keys.set(attempt, key);
  }
  for (let round = 0; ; round++) {
    let result;
    try {
      result = (
        await request(ConfirmPurchaseMutation, {
          input: { purchaseId: state.purchase.id, cardId: state.cardId, cvc, idempotencyKey: key },
        })
      ).confirmPurchase;
    } catch (error) {
      if (error instanceof ApiError && error.unauthenticated) {
        location.reload();
        return;
      }
      // The outcome is unknown: the key is kept, so Pay again is the same confirmation, never a second charge.
      state.message = { tone: 'error', say: unknownOutcomeMessage('Pay') };
      return confirmScreen(state);
    }
    if (result.__typename === 'IdempotencyInProgress' && round < 5) {
      await new Promise((r) => setTimeout(r, Math.min(3, result.retryAfterSeconds ?? 1) * 1000));
      continue;
    }
    if (result.__typename !== 'ServiceUnavailable' && result.__typename !== 'IdempotencyInProgress')
      state.keys.delete(attempt);
    switch (result.__typename) {
      case 'PurchasePayload':
        state.purchase = result.purchase;
        state.message =
          result.purchase.status === 'REQUIRES_ACTION'
            ? { tone: 'info', say: { text: stepUpReason(result.purchase.requiresActionReason), next: '' } }
            : null;
        return route(state);
      case 'CardDeclined':
        return afterDecline(state, declineMessage(result.declineCode));
      case 'RiskBlocked':
        state.message = { tone: 'error', say: riskBlockedMessage(result.retryAfterSeconds) };
        return confirmScreen(state);
      case 'RateLimited':
        state.message = { tone: 'error', say: rateLimitedMessage(result.retryAfterSeconds) };
        return confirmScreen(state);
      case 'ServiceUnavailable':
      case 'IdempotencyInProgress':
        state.message = { tone: 'error', say: busyMessage() };
        return confirmScreen(state);
      case 'PriceChanged':
        state.message = { tone: 'error', say: priceChangedMessage(result.currentPrice) };
        return confirmScreen(state);
      case 'Forbidden':
        state.message = { tone: 'error', say: revokedGameMessage(state.purchase.game.name) };
        return confirmScreen(state);
      case 'InvalidState':
      case 'NotFound':
        return pay(state.purchase.id, state.cards);
      default:
        state.message = { tone: 'error', say: { text: result.message, next: '' } };
        return confirmScreen(state);
    }
  }
}

/** After a decline: if the purchase can still be confirmed, pick another card here; else explain. */
async function afterDecline(state: PayState, message: PlayerMessage): Promise<void> {
  try {
    const latest = (await request(PurchaseQuery, { id: state.purchase.id })).purchase;
    if (latest) state.purchase = latest;
  } catch {
    // Keep what we had; the message still stands.
  }
  state.message = { tone: 'error', say: message };
  if (CONFIRMABLE.has(state.purchase.status)) return confirmScreen(state);
  return declined(state, message);
}

function processing(state: PayState): void {
  show(
    h('h1', {}, 'Processing…'),
    summary(state.purchase),
    h(
      'div',
      { class: 'loading', role: 'status' },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      'Talking to your bank',
    ),
  );
  const started = Date.now();
  const poll = async (): Promise<void> => {
    try {
      const latest = (await request(PurchaseQuery, { id: state.purchase.id })).purchase;
      if (latest && latest.status !== 'PROCESSING') {
        state.purchase = latest;
        return route(state);
      }
    } catch {
      // Try again on the next tick.
    }
    if (Date.now() - started < 120_000) setTimeout(() => void poll(), 1500);
    else
      ended('Still processing', {
        text: 'Your bank is slow to answer. You will not be charged twice.',
        next: 'Go back to the game: it updates by itself when the bank answers.',
      });
  };
  setTimeout(() => void poll(), 800);
}

function paid(purchase: Purchase): void {
  const told = tell({ type: 'coinslot:purchase', purchaseId: purchase.id, status: purchase.status });
  const back = h('button', { type: 'button', class: 'btn primary wide' }, 'Back to the game');
  back.addEventListener('click', () => closeSheet());
  show(
    h('div', { class: 'done-mark', 'aria-hidden': 'true' }, '✓'),
    h('h1', {}, 'Paid'),
    summary(purchase),
    purchase.card
      ? h('p', { class: 'hint center' }, `Charged to ${brandName(purchase.card.brand)} •• ${purchase.card.last4}`)
      : null,
    back,
  );
  // The game closes the sheet when it sees the purchase succeed; this is the fallback.
  if (told) setTimeout(() => closeSheet(), 2500);
}

function declined(state: PayState, message?: PlayerMessage): void {
  tell({ type: 'coinslot:purchase', purchaseId: state.purchase.id, status: state.purchase.status });
  const back = h('button', { type: 'button', class: 'btn primary wide' }, 'Back to the game');
  back.addEventListener('click', () => closeSheet());
  const manage = h('a', { class: 'btn secondary wide', href: `/pay/cards${location.search}` }, 'Change card');
  show(
    h('h1', {}, 'Payment declined'),
    summary(state.purchase),
    messageNotice('error', message ?? declineMessage(state.purchase.declineCode)),
    h('div', { class: 'actions' }, manage, back),
  );
}

function ended(title: string, message: { text: string; next: string }): void {
  const back = h('button', { type: 'button', class: 'btn primary wide' }, 'Back to the game');
  back.addEventListener('click', () => closeSheet());
  show(
    h('h1', {}, title),
    h('p', { class: 'lead' }, message.text),
    message.next ? h('p', { class: 'hint' }, message.next) : null,
    back,
  );
}

function failure(text: string, retry: (() => void) | null): void {
  const back = h('button', { type: 'button', class: 'btn secondary wide' }, 'Back to the game');
  back.addEventListener('click', () => closeSheet());
  let again: HTMLButtonElement | null = null;
  if (retry) {
    again = h('button', { type: 'button', class: 'btn primary wide' }, 'Try again');
    again.addEventListener('click', retry);
  }
  show(
    h('h1', {}, 'Something went wrong'),
    messageNotice('error', { text, next: retry ? 'Tap Try again, or go back to the game.' : '' }),
    h('div', { class: 'actions' }, again, back),
  );
}
