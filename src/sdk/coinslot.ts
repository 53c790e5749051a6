// coinslot.js: the browser SDK a web game loads from Coinslot (`/sdk/coinslot.js`, an ES module) to
// connect a player (OAuth 2.0 authorization code + PKCE S256, RFC 6749/7636) and to have a purchase
// confirmed in Coinslot's own window. Coinslot's pages run top-level on Coinslot's origin (a popup, or
// a redirect when popups are blocked), so the player's Coinslot session lives in Coinslot's first-party
// storage and is the same for every game. It imports nothing; the game gets a game token, never the
// player's Coinslot session.

/** How to reach Coinslot and which game this is. */
export interface CoinslotOptions {
  /** The game's id as the API gives it (`gam_…`): the OAuth client_id. */
  readonly gameId: string;
  /**
   * Coinslot's origin (`https://coinslot.example`). Default: the origin this module was loaded from,
   * which is right when it is loaded from `<coinslot>/sdk/coinslot.js`; pass it when you bundle the SDK.
   */
  readonly coinslotOrigin?: string;
  /**
   * Where Coinslot sends the browser back in redirect mode: a URI registered on the game
   * (`redirectUris`, or one of `allowedOrigins`). Default: this page's origin.
   */
  readonly redirectUri?: string;
}

/** The game token Coinslot issued (RFC 6749 §5.1): a Bearer credential for this game and player. */
export interface ConnectResult {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly scope: string;
}

/** What Coinslot's window reported about a purchase; `status` null when it closed without an outcome. */
export interface ConfirmResult {
  readonly purchaseId: string;
  readonly status: string | null;
}

export type CoinslotErrorCode =
  /** The player closed Coinslot's window before answering. */
  | 'closed'
  /** The player said no (RFC 6749 access_denied). */
  | 'access_denied'
  /** The browser refused to open the popup; call again from a tap (or use mode: 'redirect'). */
  | 'popup_blocked'
  /** The answer did not match the request (state), or Coinslot answered something unexpected. */
  | 'invalid_response'
  /** The token endpoint refused the code (expired, reused, wrong verifier): connect again. */
  | 'invalid_grant'
  /** Coinslot could not be reached. */
  | 'network'
  /** Another connect or confirm is already open. */
  | 'busy'
  | 'server_error';

export class CoinslotError extends Error {
  override readonly name = 'CoinslotError';
  constructor(
    readonly code: CoinslotErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Events a game can listen to with `coinslot.on(type, listener)`. */
export interface CoinslotEvents {
  /** A game token was issued (by popup or after a redirect). */
  connected: ConnectResult;
  /** Coinslot reported a purchase's status (SUCCEEDED, FAILED, CANCELED…). */
  purchase: { readonly purchaseId: string; readonly status: string };
  /** The player changed their cards in Coinslot's window. */
  'cards-changed': Record<string, never>;
  /** Coinslot's window closed (with or without an outcome). */
  closed: { readonly reason: 'connect' | 'confirm' | 'cards' };
}

export interface ConnectOptions {
  /** 'popup' (default; falls back to redirect if the browser blocks it) or 'redirect'. */
  readonly mode?: 'popup' | 'redirect';
}

export interface ConfirmOptions {
  /**
   * 'popup' (default; rejects with popup_blocked if the browser blocks it, so the game can ask for a
   * tap and try again) or 'redirect': this tab goes to Coinslot and comes back to `redirectUri` (this
   * page's origin by default); call `completeConfirmRedirect()` on load.
   */
  readonly mode?: 'popup' | 'redirect';
}

export interface Coinslot {
  readonly gameId: string;
  readonly coinslotOrigin: string;
  /**
   * Connects the player: opens Coinslot's consent (sign in or up, a card, the one-tap allowance) and
   * exchanges the code for a game token. Call it from a tap (browsers open popups only then). In redirect
   * mode the page navigates away and this promise never settles: call `completeRedirect()` on load.
   */
  connect(options?: ConnectOptions): Promise<ConnectResult>;
  /** On the page Coinslot redirected back to: the token, or null when the URL carries no answer. */
  completeRedirect(): Promise<ConnectResult | null>;
  /**
   * Opens `/pay/<purchaseId>` in Coinslot's window for a purchase that needs the player (above the
   * allowance, a step-up); resolves with the status Coinslot reports, or status null when the player
   * closed the window. Read the purchase from the API afterwards: it is the truth.
   */
  confirm(purchaseId: string, options?: ConfirmOptions): Promise<ConfirmResult>;
  /**
   * On the page Coinslot sent back to after `confirm(id, { mode: 'redirect' })`: the purchase and the
   * last status Coinslot saw (null: the player left without an outcome), or null when the URL carries
   * no such answer. Read the purchase from the API afterwards: it is the truth.
   */
  completeConfirmRedirect(): ConfirmResult | null;
  /** Opens the player's cards in Coinslot's window (after a decline); resolves when it closes. */
  manageCards(): Promise<void>;
  /** True while Coinslot's window is open. */
  readonly isOpen: boolean;
  on<K extends keyof CoinslotEvents>(type: K, listener: (detail: CoinslotEvents[K]) => void): () => void;
}

const POPUP_FEATURES = 'popup,width=440,height=720';
const PENDING_KEY = 'coinslot.connect.pending';
const PENDING_CONFIRM_KEY = 'coinslot.confirm.pending';

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(size: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(size)));
}

/** RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))). */
export async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

function defaultOrigin(): string {
  try {
    return new URL(import.meta.url).origin;
  } catch {
    return location.origin;
  }
}

interface Pending {
  readonly gameId: string;
  readonly state: string;
  readonly verifier: string;
  readonly redirectUri: string;
}

/** Creates the SDK for one game. */
export function createCoinslot(options: CoinslotOptions): Coinslot {
  const coinslotOrigin = new URL(options.coinslotOrigin ?? defaultOrigin()).origin;
  const { gameId } = options;
  const listeners = new Map<keyof CoinslotEvents, Set<(detail: never) => void>>();
  let window_: Window | null = null;

  const emit = <K extends keyof CoinslotEvents>(type: K, detail: CoinslotEvents[K]): void => {
    for (const listener of listeners.get(type) ?? []) {
      try {
        (listener as (d: CoinslotEvents[K]) => void)(detail);
      } catch (error) {
        console.error('coinslot listener', error);
      }
    }
  };

  /**
   * Opens Coinslot's window (synchronously, inside the tap) at `url`, or at a blank page first when the
   * URL is still being computed; null when the browser blocked it.
   */
  const openWindow = (url: string): Window | null => {
    const opened = window.open(url, 'coinslot', POPUP_FEATURES);
    return opened ?? null;
  };

  /**
   * Listens to messages of the window we opened, from Coinslot's origin only; `onMessage` returns true
   * when it settled. Resolves `closed()` when the player closes the window.
   */
  const watch = (
    popup: Window,
    reason: CoinslotEvents['closed']['reason'],
    onMessage: (data: Record<string, unknown>) => boolean,
    closed: () => void,
  ): void => {
    window_ = popup;
    let done = false;
    const finish = (): void => {
      done = true;
      window.removeEventListener('message', listener);
      window.clearInterval(timer);
      if (window_ === popup) window_ = null;
      emit('closed', { reason });
    };
    const listener = (event: MessageEvent): void => {
      // Only Coinslot's origin, only the window we opened: a message from anywhere else is ignored.
      if (done || event.origin !== coinslotOrigin || event.source !== popup) return;
      const data = event.data as unknown;
      if (!data || typeof data !== 'object') return;
      const message = data as Record<string, unknown>;
      if (typeof message.type !== 'string' || !message.type.startsWith('coinslot:')) return;
      if (message.type === 'coinslot:cards-changed') {
        emit('cards-changed', {});
        return;
      }
      if (message.type === 'coinslot:close') {
        finish();
        closed();
        try {
          popup.close();
        } catch {
          // Already gone.
        }
        return;
      }
      if (onMessage(message)) {
        finish();
        try {
          popup.close();
        } catch {
          // Coinslot closes itself too.
        }
      }
    };
    window.addEventListener('message', listener);
    const timer = window.setInterval(() => {
      if (!done && popup.closed) {
        finish();
        closed();
      }
    }, 400);
  };

  const exchange = async (code: string, pending: Pending): Promise<ConnectResult> => {
    let response: Response;
    try {
      response = await fetch(`${coinslotOrigin}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: pending.redirectUri,
          client_id: gameId,
          code_verifier: pending.verifier,
        }),
        credentials: 'omit',
      });
    } catch {
      throw new CoinslotError('network', 'Could not reach Coinslot.');
    }
    const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    if (!response.ok || !body || typeof body.access_token !== 'string') {
      const error = typeof body?.error === 'string' ? body.error : 'server_error';
      throw new CoinslotError(
        error === 'invalid_grant' ? 'invalid_grant' : 'server_error',
        typeof body?.error_description === 'string' ? body.error_description : `Coinslot answered ${response.status}.`,
      );
    }
    const result: ConnectResult = {
      accessToken: body.access_token,
      tokenType: 'Bearer',
      scope: typeof body.scope === 'string' ? body.scope : '',
    };
    emit('connected', result);
    return result;
  };

  const authorizeUrl = (pending: Pending, challenge: string, webMessage: boolean): string => {
    const url = new URL('/oauth/authorize', coinslotOrigin);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: gameId,
      redirect_uri: pending.redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: pending.state,
      ...(webMessage ? { response_mode: 'web_message' } : {}),
    }).toString();
    return url.href;
  };

  const redirect = async (): Promise<never> => {
    const pending: Pending = {
      gameId,
      state: randomString(24),
      verifier: randomString(32),
      redirectUri: options.redirectUri ?? location.origin,
    };
    // The verifier stays in this tab's storage on the game's origin until the answer comes back.
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    location.assign(authorizeUrl(pending, await s256(pending.verifier), false));
    return new Promise<never>(() => undefined);
  };

  return {
    gameId,
    coinslotOrigin,
    get isOpen() {
      return window_ !== null && !window_.closed;
    },

    on(type, listener) {
      let set = listeners.get(type);
      if (!set) listeners.set(type, (set = new Set()));
      set.add(listener as (detail: never) => void);
      return () => set.delete(listener as (detail: never) => void);
    },

    connect(connectOptions = {}) {
      if (connectOptions.mode === 'redirect') return redirect();
      if (this.isOpen) return Promise.reject(new CoinslotError('busy', 'Coinslot is already open.'));
      // In the tap: open now (a blank page), point it at Coinslot once the challenge is computed.
      const popup = openWindow('about:blank');
      if (!popup) return redirect();
      // web_message: the answer comes to this page's origin, which the game registered.
      const pending: Pending = {
        gameId,
        state: randomString(24),
        verifier: randomString(32),
        redirectUri: location.origin,
      };
      return new Promise<ConnectResult>((resolve, reject) => {
        watch(
          popup,
          'connect',
          (message) => {
            if (message.type !== 'coinslot:authorization') return false;
            if (message.state !== pending.state) {
              reject(new CoinslotError('invalid_response', 'Coinslot answered another request (state).'));
              return true;
            }
            if (typeof message.error === 'string') {
              reject(
                new CoinslotError(
                  message.error === 'access_denied' ? 'access_denied' : 'invalid_response',
                  message.error === 'access_denied' ? 'The player did not connect the game.' : message.error,
                ),
              );
              return true;
            }
            if (typeof message.code !== 'string') {
              reject(new CoinslotError('invalid_response', 'Coinslot answered without a code.'));
              return true;
            }
            exchange(message.code, pending).then(resolve, reject);
            return true;
          },
          () => reject(new CoinslotError('closed', 'Coinslot was closed before connecting.')),
        );
        s256(pending.verifier).then(
          (challenge) => {
            if (!popup.closed) popup.location.href = authorizeUrl(pending, challenge, true);
          },
          (error: unknown) => {
            popup.close();
            reject(new CoinslotError('server_error', `PKCE needs WebCrypto (a secure context): ${String(error)}`));
          },
        );
      });
    },

    async completeRedirect() {
      const params = new URLSearchParams(location.search);
      const state = params.get('state');
      if (!state || (!params.has('code') && !params.has('error'))) return null;
      const raw = sessionStorage.getItem(PENDING_KEY);
      sessionStorage.removeItem(PENDING_KEY);
      // The answer leaves the address bar (the code is single-use anyway).
      const clean = new URL(location.href);
      for (const key of ['code', 'state', 'error', 'error_description', 'iss']) clean.searchParams.delete(key);
      history.replaceState(history.state, '', clean.href);
      const pending = raw ? (JSON.parse(raw) as Pending) : null;
      if (!pending || pending.gameId !== gameId || pending.state !== state)
        throw new CoinslotError('invalid_response', 'This answer does not match a connect started here (state).');
      const error = params.get('error');
      if (error)
        throw new CoinslotError(
          error === 'access_denied' ? 'access_denied' : 'invalid_response',
          params.get('error_description') ?? error,
        );
      return exchange(params.get('code')!, pending);
    },

    confirm(purchaseId, confirmOptions = {}) {
      if (confirmOptions.mode === 'redirect') {
        const state = randomString(24);
        const redirectUri = options.redirectUri ?? location.origin;
        // What came back is checked against this, in this tab's storage on the game's origin.
        sessionStorage.setItem(PENDING_CONFIRM_KEY, JSON.stringify({ gameId, purchaseId, state }));
        const url = new URL(`/pay/${encodeURIComponent(purchaseId)}`, coinslotOrigin);
        url.search = new URLSearchParams({ client_id: gameId, redirect_uri: redirectUri, state }).toString();
        location.assign(url.href);
        return new Promise<never>(() => undefined);
      }
      if (this.isOpen) return Promise.reject(new CoinslotError('busy', 'Coinslot is already open.'));
      const url = new URL(`/pay/${encodeURIComponent(purchaseId)}`, coinslotOrigin);
      url.search = new URLSearchParams({ client_id: gameId, origin: location.origin }).toString();
      const popup = openWindow(url.href);
      if (!popup) return Promise.reject(new CoinslotError('popup_blocked', 'The browser blocked Coinslot’s window.'));
      return new Promise<ConfirmResult>((resolve) => {
        let last: string | null = null;
        watch(
          popup,
          'confirm',
          (message) => {
            if (message.type !== 'coinslot:purchase' || message.purchaseId !== purchaseId) return false;
            if (typeof message.status !== 'string') return false;
            last = message.status;
            emit('purchase', { purchaseId, status: message.status });
            resolve({ purchaseId, status: message.status });
            // Paid or canceled: nothing left to do in Coinslot's window. A decline stays open (another card).
            return message.status === 'SUCCEEDED' || message.status === 'CANCELED';
          },
          () => resolve({ purchaseId, status: last }),
        );
      });
    },

    completeConfirmRedirect() {
      const params = new URLSearchParams(location.search);
      const purchaseId = params.get('purchase_id');
      const state = params.get('state');
      if (!purchaseId || !state || params.has('code')) return null;
      const raw = sessionStorage.getItem(PENDING_CONFIRM_KEY);
      sessionStorage.removeItem(PENDING_CONFIRM_KEY);
      const clean = new URL(location.href);
      for (const key of ['purchase_id', 'status', 'state']) clean.searchParams.delete(key);
      history.replaceState(history.state, '', clean.href);
      const pending = raw ? (JSON.parse(raw) as { gameId: string; purchaseId: string; state: string }) : null;
      if (!pending || pending.gameId !== gameId || pending.state !== state || pending.purchaseId !== purchaseId)
        throw new CoinslotError('invalid_response', 'This answer does not match a confirm started here (state).');
      const status = params.get('status');
      if (status) emit('purchase', { purchaseId, status });
      return { purchaseId, status };
    },

    manageCards() {
      if (this.isOpen) return Promise.reject(new CoinslotError('busy', 'Coinslot is already open.'));
      const url = new URL('/pay/cards', coinslotOrigin);
      url.search = new URLSearchParams({ client_id: gameId, origin: location.origin }).toString();
      const popup = openWindow(url.href);
      if (!popup) return Promise.reject(new CoinslotError('popup_blocked', 'The browser blocked Coinslot’s window.'));
      return new Promise<void>((resolve) => watch(popup, 'cards', () => false, resolve));
    },
  };
}
