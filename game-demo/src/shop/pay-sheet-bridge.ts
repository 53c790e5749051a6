// Opens Coinslot's pay sheet over the game (a full-screen iframe) and listens to what it reports back.
import { openModal, type ModalHandle } from '../ui/dialog.js';
import { h } from '../ui/toast.js';

/** Messages the pay sheet posts to the game (same origin only). */
export type SheetMessage =
  | { type: 'coinslot:connected'; gameToken: string }
  | { type: 'coinslot:purchase'; purchaseId: string; status: string }
  | { type: 'coinslot:cards-changed' }
  | { type: 'coinslot:close' };

export interface SheetHandlers {
  onMessage(message: SheetMessage): void;
  /** The sheet went away (closed by the player, by the sheet, or by the game). */
  onClose(): void;
}

const LOAD_TIMEOUT_MS = 15_000;

/** The overlay that hosts the pay sheet; one sheet at a time. */
export class PaySheetBridge {
  private readonly overlay: HTMLElement;
  private readonly frameBox: HTMLElement;
  private readonly status: HTMLElement;
  private modal: ModalHandle | null = null;
  private frame: HTMLIFrameElement | null = null;
  private handlers: SheetHandlers | null = null;
  private loadTimer = 0;

  constructor(
    host: HTMLElement,
    private readonly payBase: string,
    private readonly payOrigin: string = location.origin,
  ) {
    this.status = h('div', { class: 'sheet-status', role: 'status', 'aria-live': 'polite' });
    this.frameBox = h('div', { class: 'sheet-frame' });
    const close = h('button', { type: 'button', class: 'button sheet-close' }, '← Back to game');
    close.addEventListener('click', () => this.close());
    this.overlay = h(
      'div',
      { class: 'sheet-overlay', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Coinslot', hidden: true },
      h('div', { class: 'sheet-bar' }, close),
      this.status,
      this.frameBox,
    );
    host.append(this.overlay);
    window.addEventListener('message', (event) => this.onMessage(event));
  }

  get isOpen(): boolean {
    return this.modal !== null;
  }

  /** Opens `/pay/<path>` (connect, cards, or a purchase id) with query parameters. */
  open(path: string, params: Record<string, string>, handlers: SheetHandlers): void {
    this.close();
    this.handlers = handlers;
    const url = new URL(this.payBase + path, location.href);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    url.searchParams.set('embed', '1');
    const frame = h('iframe', {
      src: url.pathname + url.search,
      title: 'Coinslot pay sheet',
      allow: 'payment',
      // The sheet is Coinslot's page; the game only hosts it.
      referrerpolicy: 'same-origin',
    });
    this.status.textContent = 'Opening Coinslot…';
    this.status.dataset.state = 'loading';
    frame.addEventListener('load', () => {
      window.clearTimeout(this.loadTimer);
      this.status.textContent = '';
      this.status.dataset.state = 'ready';
      frame.focus();
    });
    this.loadTimer = window.setTimeout(() => {
      this.status.textContent = 'Coinslot did not open. Check your connection and try again.';
      this.status.dataset.state = 'error';
    }, LOAD_TIMEOUT_MS);
    this.frameBox.replaceChildren(frame);
    this.frame = frame;
    this.modal = openModal(this.overlay, () => this.close(), frame);
  }

  /** Closes the sheet and tells the current handlers once. */
  close(): void {
    if (!this.modal) return;
    window.clearTimeout(this.loadTimer);
    const handlers = this.handlers;
    this.handlers = null;
    this.modal.close();
    this.modal = null;
    this.frame?.remove();
    this.frame = null;
    handlers?.onClose();
  }

  private onMessage(event: MessageEvent): void {
    // Only the sheet we opened, from Coinslot's origin, may talk to the game.
    if (event.origin !== this.payOrigin || !this.frame || event.source !== this.frame.contentWindow) return;
    const message = event.data as SheetMessage | null;
    if (
      !message ||
      typeof message !== 'object' ||
      typeof message.type !== 'string' ||
      !message.type.startsWith('coinslot:')
    )
      return;
    if (message.type === 'coinslot:close') {
      this.close();
      return;
    }
    this.handlers?.onMessage(message);
  }
}
