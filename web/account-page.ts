// /account: the player's Coinslot account on Coinslot's own origin, phone-first. Everything the consent
// screen promises is here: cards, each connected game's one-tap allowance (change it, or disconnect the
// game: its token stops at once), the history of every game with refunds, gifts and receipts, and
// signing out of this device or of all of them.
import {
  declineMessage,
  refundMessage,
  removeDefaultCardConsequence,
  revokeConsequence,
} from '../src/sdk/player-messages.js';
import {
  AccountQuery,
  LogOutEverywhereMutation,
  MorePurchasesQuery,
  RemoveCardMutation,
  RevokeGameMutation,
  UpdateAllowanceMutation,
  type AuthorizationFields,
  type HistoryFields,
} from './account-operations.js';
import { ApiError, OfflineError, request } from './api.js';
import { cardForm, cardSummary, type Card } from './card-form.js';
import type { ResultOf } from './graphql.js';
import { LogOutMutation, SetDefaultCardMutation } from './operations.js';
import { session } from './session.js';
import { brandName, currencyDigits, h, notice, show } from './ui.js';

type Authorization = ResultOf<typeof AuthorizationFields>;
type HistoryEntry = ResultOf<typeof HistoryFields>;

interface AccountState {
  playerId: string;
  displayName: string;
  email: string | null;
  cards: Card[];
  games: Authorization[];
  history: HistoryEntry[];
  more: string | null;
  /** One message at the top of a section, by section id. */
  said: Map<string, { tone: 'error' | 'info' | 'success'; text: string }>;
}

/** Shows the account page; `signIn` asks for the session when there is none (or it expired). */
export async function accountPage(signIn: () => Promise<void>): Promise<void> {
  document.title = 'Coinslot · Your account';
  // Escape backs out of an open question or form (as its Keep it / Cancel does, focus goes back to
  // the button that opened it); the page itself is a tab of its own and never closes.
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    const open = [...document.querySelectorAll<HTMLElement>('.confirm-box:not([hidden])')].find((box) =>
      box.contains(document.activeElement),
    );
    open?.querySelector<HTMLButtonElement>('[data-cancel]')?.click();
  });
  for (;;) {
    if (!session.token()) await signIn();
    try {
      const { viewer } = await request(AccountQuery, {});
      if (viewer.kind !== 'PLAYER' || !viewer.player) {
        session.clear();
        continue;
      }
      const state: AccountState = {
        playerId: viewer.player.id,
        displayName: viewer.player.displayName,
        email: viewer.player.email ?? null,
        cards: [...(viewer.cards ?? [])],
        games: (viewer.authorizations?.edges ?? []).map((e) => e.node),
        history: (viewer.purchases?.edges ?? []).map((e) => e.node),
        more: viewer.purchases?.pageInfo.hasNextPage ? (viewer.purchases.pageInfo.endCursor ?? null) : null,
        said: new Map(),
      };
      render(state);
      return;
    } catch (error) {
      if (error instanceof ApiError && error.unauthenticated) {
        session.clear();
        continue;
      }
      throw error;
    }
  }
}

/** Reads the account again and shows it, keeping the messages just said. */
async function reload(state: AccountState, focus?: string): Promise<void> {
  const { viewer } = await request(AccountQuery, {});
  if (viewer.kind !== 'PLAYER' || !viewer.player) return location.reload();
  state.cards = [...(viewer.cards ?? [])];
  state.games = (viewer.authorizations?.edges ?? []).map((e) => e.node);
  state.history = (viewer.purchases?.edges ?? []).map((e) => e.node);
  state.more = viewer.purchases?.pageInfo.hasNextPage ? (viewer.purchases.pageInfo.endCursor ?? null) : null;
  render(state, focus);
}

function render(state: AccountState, focus?: string): void {
  show(
    h('h1', {}, 'Your Coinslot account'),
    h('p', { class: 'lead' }, `Signed in as ${state.displayName}${state.email ? ` (${state.email})` : ''}.`),
    h(
      'nav',
      { class: 'account-nav', 'aria-label': 'Account sections' },
      h('a', { href: '#cards-title' }, 'Cards'),
      h('a', { href: '#games-title' }, 'Games'),
      h('a', { href: '#history-title' }, 'Purchases'),
      h('a', { href: '#signout-title' }, 'Sign out'),
    ),
    cardsSection(state),
    gamesSection(state),
    historySection(state),
    signOutSection(),
  );
  if (focus) document.getElementById(focus)?.focus({ preventScroll: false });
}

function said(state: AccountState, section: string): HTMLElement {
  const message = state.said.get(section);
  state.said.delete(section);
  return h(
    'div',
    { class: 'form-status', id: `${section}-status` },
    message ? notice(message.tone, message.text) : null,
  );
}

function section(id: string, title: string, ...children: (Node | null)[]): HTMLElement {
  return h(
    'section',
    { class: 'account-section', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title`, tabindex: '-1' }, title),
    ...children,
  );
}

const cardLabel = (card: Pick<Card, 'brand' | 'last4'>): string => `${brandName(card.brand)} •• ${card.last4}`;

/** Runs a mutation from a button: the button is busy meanwhile, and failures are said in the section. */
async function act(
  state: AccountState,
  sectionId: string,
  button: HTMLButtonElement,
  run: () => Promise<string | null>,
  focus?: string,
): Promise<void> {
  if (button.getAttribute('aria-disabled') === 'true') return;
  button.setAttribute('aria-disabled', 'true');
  button.classList.add('busy');
  try {
    const ok = await run();
    if (ok) state.said.set(sectionId, { tone: 'success', text: ok });
    await reload(state, focus ?? `${sectionId}-title`);
  } catch (error) {
    if (error instanceof ApiError && error.unauthenticated) return location.reload();
    state.said.set(sectionId, {
      tone: 'error',
      text: error instanceof OfflineError ? error.message : error instanceof Error ? error.message : String(error),
    });
    render(state, `${sectionId}-title`);
  }
}

function cardsSection(state: AccountState): HTMLElement {
  const gameNames = state.games.map((g) => g.game.name);
  const list = h(
    'ul',
    { class: 'card-list', 'aria-label': 'Your cards' },
    ...state.cards.map((card) => {
      const label = cardLabel(card);
      const actions = h('div', { class: 'row-actions' });
      if (card.isDefault) actions.append(h('span', { class: 'badge' }, 'Default'));
      else {
        const makeDefault = h(
          'button',
          { type: 'button', class: 'btn secondary small', 'aria-label': `Make default: ${label}` },
          'Make default',
        );
        makeDefault.addEventListener('click', () =>
          act(state, 'cards', makeDefault, async () => {
            const { setDefaultCard } = await request(SetDefaultCardMutation, { input: { cardId: card.id } });
            if (setDefaultCard.__typename !== 'SetDefaultCardPayload') throw new Error(setDefaultCard.message);
            return `${label} is now your default card. One-tap buys use it.`;
          }),
        );
        actions.append(makeDefault);
      }
      const remove = h(
        'button',
        { type: 'button', class: 'btn link small danger', 'aria-label': `Remove ${label}` },
        'Remove',
      );
      const confirmBox = h('div', { class: 'confirm-box', hidden: true });
      remove.addEventListener('click', () => {
        const next = state.cards.filter((c) => c.id !== card.id).at(-1) ?? null;
        const consequence = card.isDefault
          ? removeDefaultCardConsequence(gameNames, next ? { brand: brandName(next.brand), last4: next.last4 } : null)
          : 'Past purchases keep showing it. Games will not charge it again.';
        const yes = h('button', { type: 'button', class: 'btn danger small' }, `Remove ${label}`);
        const no = h('button', { type: 'button', class: 'btn secondary small', 'data-cancel': true }, 'Keep it');
        yes.addEventListener('click', () =>
          act(state, 'cards', yes, async () => {
            const { removeCard } = await request(RemoveCardMutation, { input: { cardId: card.id } });
            if (removeCard.__typename !== 'RemoveCardPayload') throw new Error(removeCard.message);
            return `${label} was removed.`;
          }),
        );
        no.addEventListener('click', () => {
          confirmBox.hidden = true;
          remove.focus();
        });
        confirmBox.replaceChildren(
          h('p', { class: 'hint', role: 'status' }, consequence),
          h('div', { class: 'row-actions' }, yes, no),
        );
        confirmBox.hidden = false;
        yes.focus();
      });
      actions.append(remove);
      return h('li', { class: 'card-row' }, cardSummary(card), actions, confirmBox);
    }),
  );
  const add = h('button', { type: 'button', class: 'btn secondary wide' }, 'Add a card');
  const addBox = h('div', { class: 'add-card', hidden: true });
  add.addEventListener('click', () => {
    add.hidden = true;
    addBox.hidden = false;
    addBox.replaceChildren(
      h('h3', { tabindex: '-1' }, 'Add a card'),
      cardForm({
        holderName: state.displayName,
        makeDefault: state.cards.length === 0,
        submitLabel: 'Save card',
        onAdded: (card) => {
          state.said.set('cards', { tone: 'success', text: `${cardLabel(card)} was saved.` });
          void reload(state, 'cards-title');
        },
      }),
    );
    addBox.querySelector<HTMLElement>('h3')?.focus();
  });
  return section(
    'cards',
    'Cards',
    h('p', { class: 'hint' }, 'One-tap buys use your default card. Games never see the card number.'),
    said(state, 'cards'),
    state.cards.length ? list : h('p', { class: 'lead' }, 'No card yet. Add one to buy with one tap.'),
    add,
    addBox,
  );
}

/** "$2.00" → "200" in minor units, or null when it is not an amount. */
function toMinor(text: string, currency: string): string | null {
  const digits = currencyDigits(currency);
  const clean = text.replace(/[^0-9.]/g, '');
  if (!/^\d+(\.\d*)?$/.test(clean)) return null;
  const [whole = '0', fraction = ''] = clean.split('.');
  if (fraction.length > digits) return null;
  return String(Number(whole) * 10 ** digits + Number((fraction + '0'.repeat(digits)).slice(0, digits) || '0'));
}

function gamesSection(state: AccountState): HTMLElement {
  if (state.games.length === 0)
    return section(
      'games',
      'Connected games',
      said(state, 'games'),
      h('p', { class: 'lead' }, 'No game is connected. Games ask to connect when you first buy in them.'),
    );
  const list = h(
    'ul',
    { class: 'game-list', 'aria-label': 'Connected games' },
    ...state.games.map((auth) => {
      const name = auth.game.name;
      const idBase = `game-${auth.id.replace(/[^A-Za-z0-9_-]/g, '')}`;
      const max = Number(auth.oneTapMax.amount);
      const allowance =
        max === 0 || Number(auth.dailyCap.amount) === 0
          ? 'Asks you before every purchase.'
          : `One tap up to ${auth.oneTapMax.formatted} a purchase and ${auth.dailyCap.formatted} a day; above that, Coinslot asks you.`;
      const change = h('button', { type: 'button', class: 'btn secondary small' }, 'Change limits');
      const revoke = h('button', { type: 'button', class: 'btn link small danger' }, 'Disconnect');
      const box = h('div', { class: 'confirm-box', hidden: true });
      change.addEventListener('click', () => {
        const currency = auth.oneTapMax.currency;
        const maxField = h('input', {
          id: `${idBase}-max`,
          inputmode: 'decimal',
          autocomplete: 'off',
          value: (max / 10 ** currencyDigits(currency)).toFixed(currencyDigits(currency)),
          'aria-describedby': `${idBase}-help`,
        });
        const capField = h('input', {
          id: `${idBase}-cap`,
          inputmode: 'decimal',
          autocomplete: 'off',
          value: (Number(auth.dailyCap.amount) / 10 ** currencyDigits(currency)).toFixed(currencyDigits(currency)),
          'aria-describedby': `${idBase}-help`,
        });
        const save = h('button', { type: 'submit', class: 'btn primary small' }, 'Save limits');
        const cancel = h('button', { type: 'button', class: 'btn secondary small', 'data-cancel': true }, 'Cancel');
        const error = h('p', { class: 'field-error', role: 'alert' });
        const form = h(
          'form',
          { class: 'form allowance-form', novalidate: true },
          h('label', { for: `${idBase}-max` }, `One tap up to (${currency})`),
          maxField,
          h('label', { for: `${idBase}-cap` }, `Each day up to (${currency})`),
          capField,
          h('p', { class: 'hint', id: `${idBase}-help` }, 'Set 0 to be asked before every purchase.'),
          error,
          h('div', { class: 'row-actions' }, save, cancel),
        );
        form.addEventListener('submit', (event) => {
          event.preventDefault();
          const oneTapMax = toMinor(maxField.value, currency);
          const dailyCap = toMinor(capField.value, currency);
          if (oneTapMax === null || dailyCap === null) {
            error.textContent = 'Type amounts like 2 or 2.50.';
            return;
          }
          void act(state, 'games', save, async () => {
            const { updateGameAuthorization: result } = await request(UpdateAllowanceMutation, {
              input: {
                authorizationId: auth.id,
                oneTapMax: { amount: oneTapMax, currency },
                dailyCap: { amount: dailyCap, currency },
              },
            });
            if (result.__typename !== 'UpdateGameAuthorizationPayload')
              throw new Error(
                result.__typename === 'ValidationError'
                  ? result.fieldErrors.map((f) => f.message).join(' ') || result.message
                  : result.message,
              );
            const updated = result.authorization;
            return Number(updated.oneTapMax.amount) === 0
              ? `${name} will ask you before every purchase.`
              : `${name} can now charge up to ${updated.oneTapMax.formatted} with one tap, ${updated.dailyCap.formatted} a day.`;
          });
        });
        cancel.addEventListener('click', () => {
          box.hidden = true;
          change.focus();
        });
        box.replaceChildren(form);
        box.hidden = false;
        maxField.focus();
      });
      revoke.addEventListener('click', () => {
        const yes = h('button', { type: 'button', class: 'btn danger small' }, `Disconnect ${name}`);
        const no = h('button', { type: 'button', class: 'btn secondary small', 'data-cancel': true }, 'Keep it');
        yes.addEventListener('click', () =>
          act(state, 'games', yes, async () => {
            const { revokeGameAuthorization: result } = await request(RevokeGameMutation, {
              input: { authorizationId: auth.id },
            });
            if (result.__typename !== 'RevokeGameAuthorizationPayload') throw new Error(result.message);
            return `${name} is disconnected. It can no longer charge your card; to buy in it again, connect it again.`;
          }),
        );
        no.addEventListener('click', () => {
          box.hidden = true;
          revoke.focus();
        });
        box.replaceChildren(
          h('p', { class: 'hint', role: 'status' }, revokeConsequence(name)),
          h('div', { class: 'row-actions' }, yes, no),
        );
        box.hidden = false;
        yes.focus();
      });
      return h(
        'li',
        { class: 'game-row', id: idBase, 'aria-labelledby': `${idBase}-name` },
        h('p', { class: 'item-name', id: `${idBase}-name` }, name),
        h('p', { class: 'hint' }, allowance),
        h('div', { class: 'row-actions' }, change, revoke),
        box,
      );
    }),
  );
  return section(
    'games',
    'Connected games',
    h('p', { class: 'hint' }, 'Within its limits a game charges with one tap; above them, Coinslot asks you first.'),
    said(state, 'games'),
    list,
  );
}

const STATUS_WORDS: Record<string, string> = {
  SUCCEEDED: 'Paid',
  REQUIRES_CONFIRMATION: 'Waiting for you',
  REQUIRES_ACTION: 'Waiting for your card’s code',
  PROCESSING: 'Processing',
  FAILED: 'Not paid',
  CANCELED: 'Canceled',
  REFUNDED: 'Refunded',
  PARTIALLY_REFUNDED: 'Partly refunded',
};

function historyRow(state: AccountState, purchase: HistoryEntry): HTMLElement {
  const idBase = `pur-${purchase.id.replace(/[^A-Za-z0-9_-]/g, '')}`;
  const received = purchase.isGift && purchase.recipient.id === state.playerId && purchase.player.id !== state.playerId;
  const gave = purchase.isGift && purchase.player.id === state.playerId;
  const what = `${purchase.item.name}${purchase.quantity > 1 ? ` × ${purchase.quantity}` : ''}`;
  const when = new Date(purchase.createdAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const lines: (HTMLElement | null)[] = [
    h('p', { class: 'hint' }, `${purchase.game.name} · ${when}`),
    received ? h('p', { class: 'gift-line' }, 'A gift from a friend: nothing was charged to you.') : null,
    gave ? h('p', { class: 'gift-line' }, 'A gift you sent to a friend.') : null,
  ];
  if (purchase.status === 'FAILED') {
    const m = declineMessage(purchase.declineCode);
    lines.push(h('p', { class: 'hint' }, m.text));
  }
  if (purchase.status === 'REFUNDED' || purchase.status === 'PARTIALLY_REFUNDED')
    lines.push(h('p', { class: 'hint' }, refundMessage(purchase.status, purchase.refunded, purchase.paidWith)));
  let receipt: HTMLElement | null = null;
  if (purchase.receipt && !received) {
    receipt = h(
      'details',
      { class: 'receipt' },
      h('summary', {}, 'Receipt'),
      h(
        'dl',
        {},
        h('dt', {}, 'Purchase'),
        h('dd', {}, h('code', {}, purchase.id)),
        h('dt', {}, 'Date'),
        h('dd', {}, when),
        h('dt', {}, 'Item'),
        h('dd', {}, what),
        h('dt', {}, 'Paid'),
        h(
          'dd',
          {},
          purchase.price.formatted,
          purchase.card
            ? ` with ${cardLabel(purchase.card)}`
            : purchase.paidWith === 'WALLET'
              ? ' from your wallet'
              : '',
        ),
        h('dt', {}, 'Signed receipt'),
        h('dd', {}, h('code', { class: 'jws' }, purchase.receipt)),
      ),
    );
  }
  return h(
    'li',
    { class: 'history-row', 'data-status': purchase.status, 'aria-labelledby': `${idBase}-what` },
    h(
      'div',
      { class: 'history-head' },
      h('p', { class: 'item-name', id: `${idBase}-what` }, what),
      h('p', { class: 'price' }, received ? 'Gift' : purchase.price.formatted),
    ),
    h(
      'p',
      { class: `status-pill status-${purchase.status.toLowerCase()}` },
      STATUS_WORDS[purchase.status] ?? purchase.status,
    ),
    ...lines,
    receipt,
  );
}

function historySection(state: AccountState): HTMLElement {
  const list = h(
    'ul',
    { class: 'history-list', 'aria-label': 'Your purchases' },
    ...state.history.map((p) => historyRow(state, p)),
  );
  let more: HTMLButtonElement | null = null;
  if (state.more) {
    more = h('button', { type: 'button', class: 'btn secondary wide' }, 'Show older purchases');
    more.addEventListener('click', async () => {
      if (!more || more.getAttribute('aria-disabled') === 'true') return;
      more.setAttribute('aria-disabled', 'true');
      try {
        const { viewer } = await request(MorePurchasesQuery, { after: state.more });
        const page = viewer.purchases;
        if (!page) return;
        const rows = page.edges.map((e) => e.node);
        state.history.push(...rows);
        state.more = page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null;
        list.append(...rows.map((p) => historyRow(state, p)));
        if (!state.more) more.remove();
      } finally {
        more?.removeAttribute('aria-disabled');
      }
    });
  }
  return section(
    'history',
    'Purchases',
    h('p', { class: 'hint' }, 'Everything you bought in every game, gifts you sent and got, and refunds.'),
    state.history.length ? list : h('p', { class: 'lead' }, 'No purchases yet.'),
    more,
  );
}

function signOutSection(): HTMLElement {
  const here = h('button', { type: 'button', class: 'btn secondary wide' }, 'Sign out of this device');
  here.addEventListener('click', async () => {
    await request(LogOutMutation, {}).catch(() => undefined);
    session.clear();
    location.reload();
  });
  const everywhere = h('button', { type: 'button', class: 'btn danger wide' }, 'Sign out of all devices');
  everywhere.addEventListener('click', async () => {
    everywhere.setAttribute('aria-disabled', 'true');
    await request(LogOutEverywhereMutation, {}).catch(() => undefined);
    session.clear();
    location.reload();
  });
  return section(
    'signout',
    'Sign out',
    h(
      'p',
      { class: 'hint' },
      'Signing out of all devices ends every Coinslot sign-in, here too. Connected games keep working until you disconnect them above.',
    ),
    h('div', { class: 'actions' }, here, everywhere),
  );
}
