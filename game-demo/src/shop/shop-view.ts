// The in-game shop: the catalog from Coinslot, the gem balance, owned items, and one-tap Buy buttons.
import type { Client } from '../api/client.js';
import { GraphQLRequestError } from '../api/errors.js';
import { CatalogQuery } from '../api/operations.js';
import type { Coinslot, GameConfig } from '../config.js';
import { openModal, type ModalHandle } from '../ui/dialog.js';
import { icon, type IconName } from '../ui/icons.js';
import { h, type Toaster } from '../ui/toast.js';
import {
  displayPrice,
  effectOf,
  isTerminal,
  isVirtualCurrency,
  shopOrder,
  type Effect,
  type Item,
  type Money,
  type Purchase,
} from './catalog.js';
import type { Inventory, PlayerState } from './inventory.js';
import { fromPurchase, type Following, type Outcome, type PurchaseFlow } from './purchase-flow.js';
import {
  insufficientGemsMessage,
  revokedGameMessage,
  shortWait,
  unknownOutcomeMessage,
  type PlayerMessage,
} from '../../../src/sdk/player-messages.js';

export type { PlayerState };

export interface ShopDeps {
  readonly client: Client;
  readonly config: GameConfig;
  readonly flow: PurchaseFlow;
  /** The player's items and wallet as Coinslot holds them. */
  readonly inventory: Inventory;
  /** How many more lives the player may hold (run lives plus extra lives, up to the cap). */
  readonly livesRoom: () => number;
  /** Why an extra life cannot be used now (null: it can). */
  readonly lifeUseBlocked: () => string | null;
  /** Uses up one extra life from Coinslot and adds it to the run. */
  readonly useLife: () => Promise<void>;
  /** coinslot.js, loaded from Coinslot: connect and confirm open Coinslot's own window. */
  readonly coinslot: Coinslot;
  readonly toaster: Toaster;
  readonly gameName: string;
  readonly connected: () => boolean;
  readonly setGameToken: (token: string | null) => void;
  /** Makes a succeeded purchase take effect in play; called once per purchase id. */
  readonly apply: (purchase: Purchase) => void;
  /** The worn skin's item id ('default' for none) and how to wear one. */
  readonly wornSkin: () => string;
  readonly wear: (item: Item | null) => void;
  readonly onPlayerState: (state: PlayerState | null) => void;
  readonly onOpenChange: (open: boolean) => void;
}

interface Row {
  readonly item: Item;
  readonly effect: Effect;
  price: Money | null;
  readonly li: HTMLLIElement;
  readonly buy: HTMLButtonElement;
  readonly extra: HTMLButtonElement;
  readonly note: HTMLElement;
  busy: boolean;
  cooldownUntil: number;
  cooldownTimer: number;
  /** A failed attempt that a retry would repeat with the same key. */
  retrying: boolean;
}

const ICONS: Record<Effect, IconName> = { life: 'heart', skin: 'skin', gems: 'gem', shield: 'shield' };

/** The shop dialog and everything it does; the game pauses while it is open. */
export class ShopView {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly balance: HTMLElement;
  private readonly account: HTMLElement;
  private readonly owned: HTMLElement;
  private readonly gift: HTMLElement;
  private giftFor: string | null = null;
  /** What the gift section was last built for (see renderGift). */
  private giftShape = '';
  /** Counts this player's own purchases that landed (so a gift check can tell them apart). */
  ownChanges = 0;
  /** Reloads after this player's own purchases still in flight (what the game holds is stale meanwhile). */
  ownRefreshes = 0;
  private readonly message: HTMLElement;
  private readonly closeButton: HTMLButtonElement;
  private rows = new Map<string, Row>();
  private items: Item[] = [];
  private get player(): PlayerState | null {
    return this.deps.inventory.state;
  }
  private modal: ModalHandle | null = null;
  private readonly applied = new Set<string>();
  private catalogState: 'idle' | 'loading' | 'ready' | 'error' = 'idle';
  /** The last wallet and inventory read failed (shown instead of "Loading…"). */
  private playerError = false;

  constructor(
    host: HTMLElement,
    private readonly deps: ShopDeps,
  ) {
    this.closeButton = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close shop' }, '✕');
    this.closeButton.addEventListener('click', () => this.close());
    this.balance = h('p', { class: 'shop-balance', 'aria-live': 'polite' });
    this.account = h('div', { class: 'shop-account' });
    this.message = h('p', { class: 'shop-message', role: 'status', 'aria-live': 'polite' });
    this.list = h('ul', { class: 'shop-list', 'aria-label': 'Items for sale' });
    this.owned = h('section', { class: 'shop-owned', 'aria-labelledby': 'owned-title' });
    this.gift = h('section', { class: 'shop-gift', 'aria-labelledby': 'gift-title' });
    this.element = h(
      'div',
      {
        class: 'shop',
        id: 'shop',
        role: 'dialog',
        'aria-modal': 'true',
        'aria-labelledby': 'shop-title',
        hidden: true,
      },
      h(
        'div',
        { class: 'shop-panel' },
        // A div, not a header: inside the dialog a <header> would be a second banner landmark.
        h('div', { class: 'shop-head' }, h('h2', { id: 'shop-title' }, 'Shop'), this.balance, this.closeButton),
        this.account,
        this.message,
        this.list,
        this.owned,
        this.gift,
      ),
    );
    host.append(this.element);
    this.renderAccount();
    this.renderBalance();
    this.renderOwned();
    this.renderGift();
  }

  get isOpen(): boolean {
    return this.modal !== null;
  }

  /** Opens the shop; `focusEffect` puts focus on the first item with that effect (e.g. a life after game over). */
  open(focusEffect?: Effect): void {
    if (this.modal) return;
    this.deps.onOpenChange(true);
    if (this.catalogState !== 'ready' && this.catalogState !== 'loading') void this.loadCatalog();
    if (this.deps.connected()) void this.refreshPlayer();
    const target = focusEffect ? [...this.rows.values()].find((r) => r.effect === focusEffect)?.buy : undefined;
    this.modal = openModal(this.element, () => this.close(), target ?? this.closeButton);
  }

  close(): void {
    if (!this.modal || this.deps.coinslot.isOpen) return;
    this.modal.close();
    this.modal = null;
    this.deps.onOpenChange(false);
  }

  /** Loads the catalog with skeleton rows meanwhile, and a retry on failure. */
  async loadCatalog(): Promise<void> {
    this.catalogState = 'loading';
    this.list.setAttribute('aria-busy', 'true');
    this.list.replaceChildren(
      ...[0, 1, 2, 3].map(() =>
        h('li', { class: 'item skeleton', 'aria-hidden': 'true' }, h('span'), h('span'), h('span')),
      ),
    );
    try {
      const data = await this.deps.client.request(CatalogQuery, { gameId: this.deps.config.gameId });
      this.items = shopOrder(data.catalog);
      this.catalogState = 'ready';
      this.renderItems();
    } catch (error) {
      this.catalogState = 'error';
      if (error instanceof GraphQLRequestError && error.unauthenticated && this.deps.connected()) {
        // A revoked game token: drop it and read the catalog with the publishable key.
        this.deps.setGameToken(null);
        this.renderAccount();
        return this.loadCatalog();
      }
      const retry = h('button', { type: 'button', class: 'button' }, 'Try again');
      retry.addEventListener('click', () => void this.loadCatalog());
      this.list.replaceChildren(
        h(
          'li',
          { class: 'shop-error' },
          h('p', {}, `The shop could not load. ${error instanceof Error ? error.message : ''}`),
          retry,
        ),
      );
    } finally {
      this.list.removeAttribute('aria-busy');
    }
    this.renderOwned();
  }

  /** Reloads wallet and inventory (connected players only). */
  async refreshPlayer(): Promise<void> {
    if (!this.deps.connected()) {
      this.deps.inventory.forget();
      this.deps.onPlayerState(null);
      this.renderAccount();
      this.renderBalance();
      this.renderOwned();
      this.renderGift();
      return;
    }
    try {
      await this.deps.inventory.load();
      this.playerError = false;
      if (this.message.dataset.tone === 'bad') this.say('');
    } catch (error) {
      if (error instanceof GraphQLRequestError && error.unauthenticated) {
        // Revoked in the Coinslot account (or expired): the token is dead, ask to connect again.
        this.disconnected();
        return;
      } else {
        this.say('Could not load your gems and items. They are safe; try again soon.', 'bad');
        this.playerError = true;
        this.renderOwned();
        return;
      }
    }
    this.deps.onPlayerState(this.player);
    this.renderAccount();
    this.renderBalance();
    this.renderOwned();
    this.renderGift();
    for (const row of this.rows.values()) this.renderRow(row);
  }

  /** Coinslot refused the game token: forget it and say what that means and what to do. */
  disconnected(): void {
    this.deps.setGameToken(null);
    this.deps.inventory.forget();
    this.deps.onPlayerState(null);
    const message = revokedGameMessage(this.deps.gameName);
    this.say(`${message.text} ${message.next}`, 'bad');
    this.renderAccount();
    this.renderBalance();
    this.renderOwned();
    this.renderGift();
    for (const row of this.rows.values()) this.renderRow(row);
  }

  /** Re-renders what depends on the game's state (lives in play, the run's phase). */
  refreshRows(): void {
    for (const row of this.rows.values()) this.renderRow(row);
    this.renderOwned();
  }

  /**
   * Opens Coinslot's connect flow in Coinslot's window (call it from a tap: browsers open popups only
   * then); `then` runs once the game holds a game token.
   */
  connect(then?: () => void): void {
    this.say('Connecting in Coinslot…');
    this.deps.coinslot.connect().then(
      (result) => {
        this.deps.setGameToken(result.accessToken);
        this.say('');
        this.deps.toaster.show('Coinslot connected', 'good');
        void this.refreshPlayer().then(() => then?.());
      },
      (error: unknown) => {
        const code = (error as { code?: string } | null)?.code;
        this.say(
          code === 'closed' || code === 'access_denied'
            ? 'Not connected. Connect Coinslot when you want to buy.'
            : code === 'popup_blocked'
              ? 'Your browser blocked Coinslot’s window. Tap Connect Coinslot again.'
              : `Could not connect Coinslot: ${error instanceof Error ? error.message : String(error)}`,
          code === 'closed' || code === 'access_denied' ? 'info' : 'bad',
        );
        this.renderAccount();
      },
    );
  }

  private openCards(row?: Row): void {
    this.deps.coinslot.manageCards().then(
      () => {
        if (row) {
          this.note(row, 'Tap to try again with your default card.', 'info');
          row.buy.focus();
        }
      },
      () => row && this.note(row, 'Your browser blocked Coinslot’s window. Tap Change card again.', 'bad'),
    );
  }

  private say(text: string, tone: 'good' | 'info' | 'bad' = 'info'): void {
    this.message.textContent = text;
    this.message.dataset.tone = tone;
  }

  private renderAccount(): void {
    if (!this.deps.connected()) {
      const connect = h('button', { type: 'button', class: 'button primary' }, 'Connect Coinslot');
      connect.addEventListener('click', () => this.connect());
      this.account.replaceChildren(h('p', {}, 'Pay with one tap: connect your Coinslot account once.'), connect);
      return;
    }
    const name = this.player?.viewer.player?.displayName;
    const cards = h('button', { type: 'button', class: 'button' }, 'Cards');
    cards.addEventListener('click', () => this.openCards());
    const leave = h('button', { type: 'button', class: 'button' }, 'Forget on this device');
    leave.addEventListener('click', () => {
      this.deps.setGameToken(null);
      this.deps.inventory.forget();
      this.deps.onPlayerState(null);
      this.renderAccount();
      this.renderBalance();
      this.renderOwned();
      this.renderGift();
      for (const row of this.rows.values()) this.renderRow(row);
      this.say(
        'This device forgot your Coinslot connection. To stop the game charging your card everywhere, disconnect it in your Coinslot account.',
      );
    });
    this.account.replaceChildren(
      h(
        'p',
        {},
        h('span', { class: 'dot', 'aria-hidden': 'true' }),
        name ? `Coinslot · ${name}` : 'Coinslot connected',
      ),
      h('div', { class: 'row-actions' }, cards, leave),
    );
  }

  private renderBalance(): void {
    const gems = this.gemBalance();
    this.balance.replaceChildren(
      icon('gem', 18),
      h('span', { class: 'sr-only' }, 'Gem balance: '),
      gems
        ? gems.formatted
        : this.deps.connected()
          ? '…'
          : h('span', { title: 'Connect Coinslot to see your gems' }, '—'),
    );
  }

  /** The wallet entry of the game's virtual currency, or zero of it when the wallet has none yet. */
  gemBalance(): Money | null {
    if (!this.player) return null;
    const held = this.player.wallet.find((m) => isVirtualCurrency(m.currency));
    if (held) return held;
    const currency = this.items
      .flatMap((i) => [...i.prices, ...(i.grants ? [i.grants] : [])])
      .find((m) => isVirtualCurrency(m.currency))?.currency;
    return currency ? { amount: '0', currency, formatted: `0 ${currency}` } : null;
  }

  private quantityOwned(itemId: string): number {
    return this.deps.inventory.quantity(itemId);
  }

  private renderItems(): void {
    for (const row of this.rows.values()) window.clearTimeout(row.cooldownTimer);
    this.rows.clear();
    if (this.items.length === 0) {
      this.list.replaceChildren(h('li', { class: 'shop-error' }, 'Nothing is for sale right now.'));
      return;
    }
    this.list.replaceChildren(
      ...this.items.map((item) => {
        const row = this.createRow(item);
        this.rows.set(item.id, row);
        this.renderRow(row);
        return row.li;
      }),
    );
  }

  private createRow(item: Item): Row {
    const effect = effectOf(item);
    const titleId = `item-${item.id.replace(/[^A-Za-z0-9_-]/g, '')}`;
    const buy = h('button', { type: 'button', class: 'buy' });
    const extra = h('button', { type: 'button', class: 'button small', hidden: true });
    const note = h('p', { class: 'item-note', role: 'status', 'aria-live': 'polite' });
    const price = displayPrice(item);
    const li = h(
      'li',
      { class: 'item', 'data-effect': effect, 'data-sku': item.sku, 'aria-labelledby': titleId },
      h('span', { class: 'item-icon' }, icon(ICONS[effect], 30)),
      h(
        'div',
        { class: 'item-text' },
        h('h3', { id: titleId, class: 'item-name' }, item.name),
        item.description ? h('p', { class: 'item-desc' }, item.description) : null,
        note,
      ),
      h('div', { class: 'item-actions' }, buy, extra),
    );
    const row: Row = {
      item,
      effect,
      price,
      li,
      buy,
      extra,
      note,
      busy: false,
      cooldownUntil: 0,
      cooldownTimer: 0,
      retrying: false,
    };
    buy.addEventListener('click', () => void this.tap(row));
    return row;
  }

  private renderRow(row: Row): void {
    const { buy, item } = row;
    const owned = row.effect === 'skin' && this.quantityOwned(item.id) > 0;
    const worn = owned && this.deps.wornSkin() === item.id;
    const cooling = row.cooldownUntil > Date.now();
    // Never sell what the game cannot give: at the lives cap the button says so and charges nothing.
    const full = row.effect === 'life' && !row.busy && this.deps.connected() && this.deps.livesRoom() <= 0;
    const label = !row.price
      ? 'Unavailable'
      : row.busy
        ? 'Buying…'
        : cooling
          ? shortWait((row.cooldownUntil - Date.now()) / 1000)
          : full
            ? 'Lives full'
            : row.retrying
              ? 'Retry'
              : worn
                ? 'Wearing'
                : owned
                  ? 'Wear'
                  : row.price.formatted;
    buy.textContent = label;
    buy.classList.toggle('busy', row.busy);
    buy.classList.toggle('owned', owned);
    buy.classList.toggle('virtual', !!row.price && isVirtualCurrency(row.price.currency));
    const inactive = row.busy || cooling || !row.price || worn || full;
    // aria-disabled keeps the focus on the button while it is busy; clicks are ignored meanwhile.
    buy.setAttribute('aria-disabled', String(inactive));
    buy.setAttribute('aria-busy', String(row.busy));
    buy.setAttribute(
      'aria-label',
      // The visible words start the name (axe: label-content-name-mismatch), busy or not.
      row.busy
        ? `Buying… ${item.name}`
        : owned
          ? worn
            ? `${item.name}: wearing`
            : `Wear ${item.name}`
          : full
            ? `${item.name}: lives full`
            : cooling
              ? `${item.name}: ${shortWait((row.cooldownUntil - Date.now()) / 1000).toLowerCase()}`
              : row.price
                ? `Buy ${item.name} for ${row.price.formatted}`
                : `${item.name} unavailable`,
    );
    row.li.dataset.state = row.busy ? 'busy' : owned ? 'owned' : full ? 'full' : 'idle';
  }

  private note(
    row: Row,
    text: string,
    tone: 'good' | 'info' | 'bad',
    extra?: { label: string; action: () => void },
  ): void {
    row.note.textContent = text;
    row.note.dataset.tone = tone;
    if (extra) {
      row.extra.textContent = extra.label;
      row.extra.onclick = extra.action;
      row.extra.hidden = false;
    } else {
      row.extra.hidden = true;
      row.extra.onclick = null;
    }
  }

  /** One tap on Buy (or Wear for an owned skin). */
  private async tap(row: Row): Promise<void> {
    if (row.busy || this.deps.flow.busy(row.item.id) || row.cooldownUntil > Date.now() || !row.price) return;
    if (row.effect === 'skin' && this.quantityOwned(row.item.id) > 0) {
      if (this.deps.wornSkin() !== row.item.id) {
        this.deps.wear(row.item);
        this.note(row, 'Now wearing it.', 'good');
        this.refreshRows();
      }
      return;
    }
    if (!this.deps.connected()) {
      this.note(row, 'Connect Coinslot to buy.', 'info');
      this.connect(() => void this.tap(row));
      return;
    }
    if (row.effect === 'life' && this.deps.livesRoom() <= 0) {
      this.note(row, 'You have all the lives you can hold. Use some first; nothing was charged.', 'info');
      return;
    }
    row.busy = true;
    this.note(row, '', 'info');
    this.renderRow(row);
    const outcome = await this.deps.flow.buy(row.item, row.price);
    row.busy = false;
    row.retrying = outcome.kind === 'retry';
    this.renderRow(row);
    this.handle(row, outcome);
  }

  private handle(row: Row, outcome: Outcome): void {
    switch (outcome.kind) {
      case 'succeeded':
        this.succeed(row, outcome.purchase);
        return;
      case 'pending':
        this.confirmInSheet(row, outcome.purchase);
        return;
      case 'failed': {
        const declined = outcome.purchase.status === 'FAILED';
        this.note(
          row,
          outcome.message,
          'bad',
          declined ? { label: 'Change card', action: () => this.openCards(row) } : undefined,
        );
        return;
      }
      case 'price-changed':
        row.price = outcome.currentPrice;
        this.renderRow(row);
        this.note(row, `${outcome.message} Tap to buy at the new price.`, 'info');
        return;
      case 'declined':
        this.note(row, outcome.message, 'bad', { label: 'Change card', action: () => this.openCards(row) });
        return;
      case 'blocked':
      case 'rate-limited':
        this.cooldown(row, outcome.message, outcome.retryAfterSeconds);
        return;
      case 'no-card':
        this.note(row, outcome.message, 'info', {
          label: 'Add card',
          action: () => this.openCards(row),
        });
        return;
      case 'not-connected':
        this.disconnected();
        this.note(row, 'Connect again to buy.', 'info');
        return;
      case 'insufficient-funds': {
        const pack = [...this.rows.values()].find((r) => r.effect === 'gems');
        const words: PlayerMessage | null = outcome.balance
          ? insufficientGemsMessage(row.price, outcome.balance)
          : null;
        this.note(
          row,
          words ? `${words.text} ${words.next}` : outcome.message,
          'bad',
          pack ? { label: 'Get gems', action: () => this.focusRow(pack) } : undefined,
        );
        return;
      }
      case 'retry':
        this.note(row, `${outcome.message} ${unknownOutcomeMessage().next}`, 'bad');
        return;
      case 'unavailable':
      case 'error':
        this.note(row, outcome.message, 'bad');
        return;
    }
  }

  private succeed(row: Row, purchase: Purchase): void {
    this.ownChanges++;
    this.ownRefreshes++;
    if (!this.applied.has(purchase.id)) {
      this.applied.add(purchase.id);
      if (!purchase.isGift) this.deps.apply(purchase);
    }
    const what = purchase.isGift
      ? 'Gift sent! Your friend gets it right away.'
      : {
          life: 'Extra life saved! It’s yours until you use it.',
          skin: 'New look on!',
          gems: `${purchase.item.grants?.formatted ?? 'Gems'} added!`,
          shield: 'Shield ready! It blocks the next rock.',
        }[row.effect];
    this.note(row, `Bought. ${what}`, 'good');
    this.deps.toaster.show(what, 'good');
    void this.refreshPlayer().finally(() => this.ownRefreshes--);
  }

  /** Above the one-tap allowance (or a step-up): the player confirms in Coinslot's window. */
  private confirmInSheet(row: Row, purchase: Purchase): void {
    let settled = false;
    row.busy = true;
    this.renderRow(row);
    this.note(row, purchase.status === 'PROCESSING' ? 'Processing…' : 'Confirm in Coinslot…', 'info');
    const settle = (latest: Purchase): void => {
      const outcome = fromPurchase(latest);
      if (outcome.kind === 'pending') {
        if (latest.status === 'REQUIRES_ACTION') this.note(row, 'Coinslot needs your card’s security code.', 'info');
        return;
      }
      settled = true;
      row.busy = false;
      this.renderRow(row);
      this.handle(row, outcome);
    };
    let following: Following = this.deps.flow.follow(purchase.id, settle);
    if (purchase.status === 'PROCESSING') return;
    const giveUp = (text: string, action?: { label: string; action: () => void }): void => {
      if (settled) return;
      following.stop();
      row.busy = false;
      this.renderRow(row);
      this.note(row, text, 'info', action);
    };
    /** `afterTap`: a tap of the player's opened it, and the browser still blocked the window. */
    const open = (afterTap = false): void => {
      this.deps.coinslot.confirm(purchase.id).then(
        // Coinslot's window said how it ended (or closed): read the purchase, the truth, now.
        (result) => {
          following.refresh();
          if (result.status !== null) return;
          // Give the last read a moment, then end the waiting purchase: left waiting, it would hold the
          // item's stock and per-player limit (a skin could not be tapped again) until it expired.
          window.setTimeout(async () => {
            if (settled) return;
            const latest = await this.deps.flow.cancel(purchase.id);
            if (settled) return;
            if (latest?.status === 'PROCESSING') {
              // Paid meanwhile: the subscription settles it.
              following.refresh();
              return;
            }
            if (latest && latest.status !== 'CANCELED' && isTerminal(latest.status)) return settle(latest);
            giveUp('Not paid, nothing was charged. Tap to try again.');
          }, 1500);
        },
        (error: unknown) => {
          const blocked = (error as { code?: string } | null)?.code === 'popup_blocked';
          // Blocked even from a tap: this tab goes to Coinslot and comes back (the game reads it at boot).
          if (blocked && afterTap) void this.deps.coinslot.confirm(purchase.id, { mode: 'redirect' });
          // The browser refused a window the game opened after waiting on the network: one more tap opens it.
          else if (blocked)
            giveUp('Coinslot needs you to confirm this purchase.', { label: 'Confirm in Coinslot', action: retry });
          else giveUp(`Could not open Coinslot. ${error instanceof Error ? error.message : ''}`.trim());
        },
      );
    };
    const retry = (): void => {
      following = this.deps.flow.follow(purchase.id, settle);
      row.busy = true;
      this.renderRow(row);
      this.note(row, 'Confirm in Coinslot…', 'info');
      open(true);
    };
    open();
  }

  private cooldown(row: Row, message: string, retryAfterSeconds: number | null): void {
    const seconds = Math.max(1, retryAfterSeconds ?? 60);
    row.cooldownUntil = Date.now() + seconds * 1000;
    // The message already says how long, in minutes or hours (player-messages).
    this.note(row, message, 'bad');
    window.clearTimeout(row.cooldownTimer);
    const tick = (): void => {
      this.renderRow(row);
      const left = row.cooldownUntil - Date.now();
      if (left > 0) row.cooldownTimer = window.setTimeout(tick, Math.min(left, 15_000));
      else this.note(row, 'You can try again now.', 'info');
    };
    tick();
  }

  private focusRow(row: Row): void {
    row.li.scrollIntoView({ block: 'center', behavior: 'smooth' });
    row.buy.focus({ preventScroll: true });
    row.li.classList.add('highlight');
    window.setTimeout(() => row.li.classList.remove('highlight'), 1600);
  }

  private renderOwned(): void {
    const title = h('h3', { id: 'owned-title' }, 'Your items');
    if (!this.deps.connected()) {
      this.owned.replaceChildren(title, h('p', { class: 'muted' }, 'Connect Coinslot to see what you own.'));
      return;
    }
    if (!this.player) {
      if (this.playerError) {
        const retry = h('button', { type: 'button', class: 'button small' }, 'Try again');
        retry.addEventListener('click', () => void this.refreshPlayer());
        this.owned.replaceChildren(title, h('p', { class: 'muted' }, 'Your items could not be loaded.'), retry);
      } else {
        this.owned.replaceChildren(title, h('p', { class: 'muted' }, 'Loading…'));
      }
      return;
    }
    const entries = this.player.inventory.filter((e) => e.quantity > 0);
    const worn = this.deps.wornSkin();
    const classic = h(
      'button',
      { type: 'button', class: 'button small', 'aria-pressed': String(worn === 'default') },
      'Classic look',
    );
    classic.addEventListener('click', () => {
      this.deps.wear(null);
      this.refreshRows();
    });
    const list = h(
      'ul',
      { class: 'owned-list' },
      ...entries.map((entry) => {
        const effect = effectOf(entry.item);
        let action: HTMLButtonElement | null = null;
        let hint: string | null = null;
        if (effect === 'skin') {
          action = h(
            'button',
            { type: 'button', class: 'button small', 'aria-pressed': String(worn === entry.item.id) },
            worn === entry.item.id ? 'Wearing' : 'Wear',
          );
          action.addEventListener('click', () => {
            this.deps.wear(entry.item);
            this.refreshRows();
          });
        } else if (effect === 'life') {
          const blocked = this.deps.lifeUseBlocked();
          const button = h(
            'button',
            {
              type: 'button',
              class: 'button small',
              'aria-disabled': String(blocked !== null),
              'aria-label': `Use an ${entry.item.name.toLowerCase()}`,
            },
            'Use',
          );
          action = button;
          hint = blocked;
          button.addEventListener('click', () => {
            if (this.deps.lifeUseBlocked() !== null || button.getAttribute('aria-busy') === 'true') return;
            button.setAttribute('aria-busy', 'true');
            button.textContent = 'Using…';
            void this.deps.useLife().finally(() => this.refreshRows());
          });
        } else if (effect === 'shield') {
          hint = 'Blocks the next rock by itself.';
        }
        return h(
          'li',
          { 'data-sku': entry.item.sku },
          icon(ICONS[effect], 22),
          h(
            'span',
            { class: 'owned-name' },
            effect === 'skin' ? entry.item.name : `${entry.item.name} × ${entry.quantity}`,
            hint ? h('span', { class: 'owned-hint' }, hint) : null,
          ),
          action,
        );
      }),
    );
    this.owned.replaceChildren(
      title,
      entries.length ? list : h('p', { class: 'muted' }, 'Nothing yet.'),
      h('div', { class: 'row-actions' }, classic),
    );
  }

  /** Gifts: the player's own friend code, and sending an item to a friend who connected this game too. */
  private renderGift(): void {
    const title = h('h3', { id: 'gift-title' }, 'Gifts');
    const me = this.player?.viewer.player?.id;
    if (!this.deps.connected() || !me) {
      this.gift.replaceChildren(title, h('p', { class: 'muted' }, 'Connect Coinslot to send and get gifts.'));
      return;
    }
    const code = h('code', { class: 'friend-code', id: 'friend-code' }, me);
    const copy = h('button', { type: 'button', class: 'button small' }, 'Copy');
    copy.addEventListener('click', () => {
      void navigator.clipboard?.writeText(me).then(
        () => this.deps.toaster.show('Friend code copied', 'good'),
        () => this.deps.toaster.show('Select the code and copy it', 'info'),
      );
    });
    const giftable = this.items.filter((i) => {
      const price = displayPrice(i);
      return price && !isVirtualCurrency(price.currency) && effectOf(i) !== 'gems';
    });
    // Rebuilt only when what it shows changed: the inventory is read again every few seconds, and
    // rebuilding would drop the focus, the chosen gift and the "Gift sent" line under the player's hands.
    const shape = `${me}|${giftable.map((i) => `${i.id}:${displayPrice(i)?.formatted ?? ''}`).join(',')}`;
    if (shape === this.giftShape && this.gift.isConnected && this.gift.querySelector('#friend-code')) return;
    this.giftShape = shape;
    const friend = h('input', {
      id: 'gift-friend',
      type: 'text',
      autocomplete: 'off',
      spellcheck: 'false',
      'aria-describedby': 'gift-help',
    });
    friend.value = this.giftFor ?? '';
    friend.addEventListener('input', () => (this.giftFor = friend.value.trim() || null));
    const which = h(
      'select',
      { id: 'gift-item' },
      ...giftable.map((i) => h('option', { value: i.id }, `${i.name} · ${displayPrice(i)?.formatted ?? ''}`)),
    );
    const status = h('p', { class: 'item-note', role: 'status', 'aria-live': 'polite' });
    const send = h('button', { type: 'button', class: 'button primary' }, 'Send gift');
    const form = h(
      'form',
      { class: 'gift-form', novalidate: true },
      h('label', { for: 'gift-friend' }, 'Friend’s code'),
      friend,
      h('p', { class: 'muted small', id: 'gift-help' }, 'Your friend finds it here, in their own game.'),
      h('label', { for: 'gift-item' }, 'Gift'),
      which,
      send,
      status,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.sendGift(friend, which, send, status);
    });
    send.type = 'submit';
    this.gift.replaceChildren(
      title,
      h('p', { class: 'friend-line' }, 'Your friend code: ', code, ' ', copy),
      ...(giftable.length ? [form] : []),
    );
  }

  private async sendGift(
    friend: HTMLInputElement,
    which: HTMLSelectElement,
    send: HTMLButtonElement,
    status: HTMLElement,
  ): Promise<void> {
    const to = friend.value.trim();
    const item = this.items.find((i) => i.id === which.value);
    const price = item ? displayPrice(item) : null;
    if (!to) {
      status.textContent = 'Type your friend’s code first.';
      status.dataset.tone = 'bad';
      friend.focus();
      return;
    }
    if (!item || !price || send.getAttribute('aria-busy') === 'true') return;
    if (to === this.player?.viewer.player?.id) {
      status.textContent = 'That’s your own code. Ask your friend for theirs.';
      status.dataset.tone = 'bad';
      return;
    }
    send.setAttribute('aria-busy', 'true');
    send.textContent = 'Sending…';
    const outcome = await this.deps.flow.buy(item, price, { giftTo: to });
    send.removeAttribute('aria-busy');
    send.textContent = 'Send gift';
    const row = this.rows.get(item.id);
    if (outcome.kind === 'succeeded' || outcome.kind === 'pending') {
      if (row) this.handle(row, outcome);
      status.textContent =
        outcome.kind === 'succeeded'
          ? `Gift sent: ${item.name}. Your friend gets it right away.`
          : 'Confirm in Coinslot…';
      status.dataset.tone = 'good';
      return;
    }
    status.dataset.tone = 'bad';
    status.textContent =
      outcome.kind === 'error' && /recipient|not found/i.test(outcome.message)
        ? 'No friend with this code has connected this game yet. Check the code, or ask them to connect first.'
        : 'message' in outcome
          ? outcome.message
          : 'The gift could not be sent.';
  }
}
