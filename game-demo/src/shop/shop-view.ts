// The in-game shop: the catalog from Coinslot, the gem balance, owned items, and one-tap Buy buttons.
import type { Client } from '../api/client.js';
import { GraphQLRequestError } from '../api/errors.js';
import type { ResultOf } from '../api/graphql.js';
import { CatalogQuery, PlayerStateQuery } from '../api/operations.js';
import type { GameConfig } from '../config.js';
import { openModal, type ModalHandle } from '../ui/dialog.js';
import { icon, type IconName } from '../ui/icons.js';
import { h, type Toaster } from '../ui/toast.js';
import {
  displayPrice,
  effectOf,
  isVirtualCurrency,
  shopOrder,
  type Effect,
  type Item,
  type Money,
  type Purchase,
} from './catalog.js';
import type { PaySheetBridge } from './pay-sheet-bridge.js';
import { fromPurchase, type Following, type Outcome, type PurchaseFlow } from './purchase-flow.js';

export type PlayerState = ResultOf<typeof PlayerStateQuery>;

export interface ShopDeps {
  readonly client: Client;
  readonly config: GameConfig;
  readonly flow: PurchaseFlow;
  readonly sheet: PaySheetBridge;
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
  private readonly message: HTMLElement;
  private readonly closeButton: HTMLButtonElement;
  private rows = new Map<string, Row>();
  private items: Item[] = [];
  private player: PlayerState | null = null;
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
        h('header', { class: 'shop-head' }, h('h2', { id: 'shop-title' }, 'Shop'), this.balance, this.closeButton),
        this.account,
        this.message,
        this.list,
        this.owned,
      ),
    );
    host.append(this.element);
    this.renderAccount();
    this.renderBalance();
    this.renderOwned();
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
    if (!this.modal || this.deps.sheet.isOpen) return;
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
      this.player = null;
      this.deps.onPlayerState(null);
      this.renderAccount();
      this.renderBalance();
      this.renderOwned();
      return;
    }
    try {
      this.player = await this.deps.client.request(PlayerStateQuery, { gameId: this.deps.config.gameId });
      this.playerError = false;
      if (this.message.dataset.tone === 'bad') this.say('');
    } catch (error) {
      if (error instanceof GraphQLRequestError && error.unauthenticated) {
        this.deps.setGameToken(null);
        this.player = null;
        this.say('Your Coinslot connection expired. Connect again to buy.', 'bad');
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
    for (const row of this.rows.values()) this.renderRow(row);
  }

  /** Opens Coinslot's connect flow; `then` runs once the game holds a game token. */
  connect(then?: () => void, step?: 'card'): void {
    const currency = this.items.flatMap((i) => i.prices).find((p) => !isVirtualCurrency(p.currency))?.currency ?? 'USD';
    this.deps.sheet.open(
      'connect',
      { gameId: this.deps.config.gameId, currency, game: this.deps.gameName, ...(step ? { step } : {}) },
      {
        onMessage: (message) => {
          if (message.type !== 'coinslot:connected') return;
          this.deps.setGameToken(message.gameToken);
          this.deps.sheet.close();
          this.deps.toaster.show('Coinslot connected', 'good');
          void this.refreshPlayer().then(() => then?.());
        },
        onClose: () => this.renderAccount(),
      },
    );
  }

  private openCards(row?: Row): void {
    this.deps.sheet.open(
      'cards',
      { gameId: this.deps.config.gameId },
      {
        onMessage: (message) => {
          if (message.type === 'coinslot:cards-changed' && row)
            this.note(row, 'Card updated. Tap to try again.', 'info');
        },
        onClose: () => row?.buy.focus(),
      },
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
    const leave = h('button', { type: 'button', class: 'button' }, 'Disconnect');
    leave.addEventListener('click', () => {
      this.deps.setGameToken(null);
      this.player = null;
      this.deps.onPlayerState(null);
      this.renderAccount();
      this.renderBalance();
      this.renderOwned();
      for (const row of this.rows.values()) this.renderRow(row);
      this.say('Disconnected from Coinslot on this device.');
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
    return this.player?.inventory.find((e) => e.item.id === itemId)?.quantity ?? 0;
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
    const label = !row.price
      ? 'Unavailable'
      : row.busy
        ? 'Buying…'
        : cooling
          ? `Wait ${Math.ceil((row.cooldownUntil - Date.now()) / 1000)} s`
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
    const inactive = row.busy || cooling || !row.price || worn;
    // aria-disabled keeps the focus on the button while it is busy; clicks are ignored meanwhile.
    buy.setAttribute('aria-disabled', String(inactive));
    buy.setAttribute('aria-busy', String(row.busy));
    buy.setAttribute(
      'aria-label',
      owned
        ? worn
          ? `${item.name}: wearing`
          : `Wear ${item.name}`
        : row.price
          ? `Buy ${item.name} for ${row.price.formatted}`
          : `${item.name} unavailable`,
    );
    row.li.dataset.state = row.busy ? 'busy' : owned ? 'owned' : 'idle';
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
          action: () => this.connect(() => void this.tap(row), 'card'),
        });
        this.connect(() => void this.tap(row), 'card');
        return;
      case 'not-connected':
        this.deps.setGameToken(null);
        this.renderAccount();
        this.note(row, outcome.message, 'info');
        this.connect(() => void this.tap(row));
        return;
      case 'insufficient-funds': {
        const pack = [...this.rows.values()].find((r) => r.effect === 'gems');
        this.note(
          row,
          outcome.message,
          'bad',
          pack ? { label: 'Get gems', action: () => this.focusRow(pack) } : undefined,
        );
        return;
      }
      case 'retry':
        this.note(row, `${outcome.message} Tap Retry: you will not be charged twice.`, 'bad');
        return;
      case 'unavailable':
      case 'error':
        this.note(row, outcome.message, 'bad');
        return;
    }
  }

  private succeed(row: Row, purchase: Purchase): void {
    if (!this.applied.has(purchase.id)) {
      this.applied.add(purchase.id);
      this.deps.apply(purchase);
    }
    const what = {
      life: 'Extra life added!',
      skin: 'New look on!',
      gems: `${purchase.item.grants?.formatted ?? 'Gems'} added!`,
      shield: 'Shield ready!',
    }[row.effect];
    this.note(row, `Bought. ${what}`, 'good');
    this.deps.toaster.show(what, 'good');
    void this.refreshPlayer();
  }

  /** Above the one-tap allowance (or a step-up): the player confirms in Coinslot's pay sheet. */
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
      this.deps.sheet.close();
      this.handle(row, outcome);
    };
    const following: Following = this.deps.flow.follow(purchase.id, settle);
    if (purchase.status === 'PROCESSING') return;
    // The purchase says where it is confirmed (payUrl, e.g. /pay/<id>); the id is the fallback.
    const sheetPath = purchase.payUrl?.replace(/^.*\/pay\//, '') || encodeURIComponent(purchase.id);
    this.deps.sheet.open(
      sheetPath,
      { gameId: this.deps.config.gameId },
      {
        onMessage: (message) => {
          if (message.type === 'coinslot:purchase' && message.purchaseId === purchase.id) following.refresh();
        },
        onClose: () => {
          if (settled) return;
          following.refresh();
          // Give the last read a moment; a purchase left unconfirmed simply expires, nothing is charged.
          window.setTimeout(() => {
            if (settled) return;
            following.stop();
            row.busy = false;
            this.renderRow(row);
            this.note(row, 'Not paid. Tap to try again.', 'info');
          }, 1500);
        },
      },
    );
  }

  private cooldown(row: Row, message: string, retryAfterSeconds: number | null): void {
    const seconds = Math.max(1, retryAfterSeconds ?? 30);
    row.cooldownUntil = Date.now() + seconds * 1000;
    this.note(row, `${message} Try again in ${formatWait(seconds)}.`, 'bad');
    const tick = (): void => {
      this.renderRow(row);
      if (row.cooldownUntil > Date.now()) row.cooldownTimer = window.setTimeout(tick, 1000);
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

  private refreshRows(): void {
    for (const row of this.rows.values()) this.renderRow(row);
    this.renderOwned();
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
        }
        return h(
          'li',
          {},
          icon(ICONS[effect], 22),
          h(
            'span',
            { class: 'owned-name' },
            effect === 'skin' ? entry.item.name : `${entry.item.name} × ${entry.quantity}`,
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
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  return minutes < 90 ? `${minutes} min` : `${Math.ceil(minutes / 60)} h`;
}
