// Coinslot's pay sheet: /pay/connect, /pay/cards and /pay/<purchaseId>, always as the signed-in player.
import { signIn, type Mode } from './account.js';
import { accountPage } from './account-page.js';
import { ApiError, OfflineError, request } from './api.js';
import type { Card } from './card-form.js';
import { cardsScreen } from './cards.js';
import { connect } from './connect.js';
import { closeSheet } from './messages.js';
import { GameQuery, LogOutMutation, MeQuery } from './operations.js';
import { pay } from './pay.js';
import { session } from './session.js';
import { h, notice, show, showLoading } from './ui.js';

interface Me {
  displayName: string;
  cards: Card[];
}

/**
 * Refuses to run inside a frame of another site, so no one can overlay or click-jack the Pay button.
 * The server's `frame-ancestors` admits Coinslot and the game's registered origins only; this is the
 * same rule in the page, for browsers that ignore it: Coinslot itself, or the game's origin the server
 * checked before serving the page (`origin`, or the web_message `redirect_uri` of the consent).
 */
function framedByStranger(): boolean {
  if (window.parent === window) return false;
  const params = new URLSearchParams(location.search);
  const game =
    params.get('origin') ?? (params.get('response_mode') === 'web_message' ? params.get('redirect_uri') : null);
  const allowed = new Set([location.origin, ...(game ? [game] : [])]);
  const ancestors = location.ancestorOrigins as DOMStringList | undefined;
  if (ancestors) return Array.from(ancestors).some((origin) => !allowed.has(origin));
  try {
    return window.parent.location.origin !== location.origin;
  } catch {
    return game === null;
  }
}

/** The signed-in player and their cards; asks to sign in first when there is no valid session. */
async function me(gameName: string | null, reason?: string, mode: Mode = 'sign-up'): Promise<Me> {
  for (;;) {
    if (session.token()) {
      try {
        const { viewer } = await request(MeQuery, {});
        if (viewer.kind === 'PLAYER' && viewer.player) {
          renderHeader(viewer.player.displayName);
          return { displayName: viewer.player.displayName, cards: [...(viewer.cards ?? [])] };
        }
      } catch (error) {
        if (!(error instanceof ApiError && error.unauthenticated)) throw error;
      }
      session.clear();
    }
    renderHeader(null);
    await signIn(reason === undefined ? { gameName } : { gameName, reason }, mode);
    showLoading();
  }
}

function renderHeader(displayName: string | null): void {
  const account = document.getElementById('account');
  if (!account) return;
  if (!displayName) {
    account.replaceChildren();
    return;
  }
  const out = h('button', { type: 'button', class: 'btn link small' }, 'Sign out');
  out.addEventListener('click', async () => {
    try {
      await request(LogOutMutation, {});
    } catch {
      // The local session is dropped anyway.
    }
    session.clear();
    location.reload();
  });
  // The account page: every control the consent screen promises (limits, disconnecting a game, cards, history).
  const manage = location.pathname.startsWith('/account')
    ? null
    : h('a', { class: 'btn link small', href: '/account', target: '_blank', rel: 'noopener' }, 'Account');
  account.replaceChildren(h('span', { class: 'who' }, displayName), manage ?? '', out);
}

/** The game as Coinslot knows it (name, currency); the query parameters are only a fallback for display. */
async function gameInfo(
  gameId: string | null,
  fallback: string | null,
): Promise<{ name: string | null; currency: string | null }> {
  if (!gameId) return { name: fallback, currency: null };
  try {
    const { game } = await request(GameQuery, { id: gameId });
    if (game?.name) return { name: game.name, currency: game.defaultCurrency };
  } catch {
    // Not readable with this session: show the name the game gave.
  }
  return { name: fallback, currency: null };
}

/** `payUrl` carries the purchase's id (`pur_…`); a link of before carried its raw UUID, read here as a Relay id. */
function purchaseGlobalId(segment: string): string {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment)
    ? btoa(`Purchase:${segment}`)
    : segment;
}

async function main(): Promise<void> {
  if (framedByStranger()) {
    document.body.replaceChildren(
      h('p', { class: 'notice error' }, 'For your safety, Coinslot cannot be shown inside this page.'),
    );
    return;
  }
  const closeButton = document.getElementById('close');
  if (closeButton) {
    // Inside the game's overlay the game draws its own close button.
    if (window.parent !== window) closeButton.hidden = true;
    closeButton.addEventListener('click', () => closeSheet());
  }
  const accountPath = location.pathname.replace(/\/+$/, '') === '/account';
  // Escape closes the sheet from inside the frame too (the game's own handler cannot see these keys).
  // Not on the account page: a tab of its own, where Escape backs out of a question instead.
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !event.defaultPrevented && !accountPath) closeSheet();
  });
  if (accountPath) {
    if (closeButton) closeButton.hidden = true;
    document.body.classList.add('account-page');
    showLoading();
    try {
      return await accountPage(async () => {
        // Whoever opens the account page has an account (or just signed out of it): sign in first.
        await me(null, 'Sign in to see your Coinslot account.', 'sign-in');
      });
    } catch (error) {
      console.error('account page', error);
      const retry = h('button', { type: 'button', class: 'btn primary wide' }, 'Try again');
      retry.addEventListener('click', () => location.reload());
      return show(
        h('h1', {}, 'Coinslot is unreachable'),
        notice('error', error instanceof OfflineError ? error.message : 'Something went wrong on our side.'),
        retry,
      );
    }
  }
  const params = new URLSearchParams(location.search);
  if (location.pathname === '/oauth/authorize') {
    // Coinslot Connect: the server checked the game and where the answer goes before serving this page.
    showLoading();
    const gameId = params.get('client_id') ?? '';
    try {
      const player = await me('This game');
      const game = await gameInfo(gameId, null);
      return await connect({
        gameId,
        gameName: game.name ?? 'This game',
        // The allowance is in the game's own currency (what its items are priced in).
        currency: game.currency ?? 'USD',
        displayName: player.displayName,
        cards: player.cards,
        oauth: {
          redirectUri: params.get('redirect_uri') ?? '',
          codeChallenge: params.get('code_challenge') ?? '',
          state: params.get('state') ?? '',
          webMessage: params.get('response_mode') === 'web_message',
        },
      });
    } catch {
      return show(
        h('h1', {}, 'Coinslot is unreachable'),
        notice('error', 'Try again in a moment. Nothing was shared.'),
      );
    }
  }
  const segment = decodeURIComponent(location.pathname.replace(/^\/pay\/?/, '').split('/')[0] ?? '');
  const gameId = params.get('gameId');
  showLoading();
  try {
    if (segment === 'connect') {
      if (!gameId)
        return show(
          h('h1', {}, 'Nothing to connect'),
          notice('error', 'This link is missing the game. Open Coinslot from the game again.'),
        );
      // The name the game gives is only for the sign-in screen; once signed in, Coinslot's record wins.
      const player = await me(params.get('game') ?? 'This game');
      const game = await gameInfo(gameId, params.get('game'));
      return await connect({
        gameId,
        gameName: game.name ?? 'This game',
        currency: (game.currency ?? params.get('currency') ?? 'USD').toUpperCase(),
        displayName: player.displayName,
        cards: player.cards,
      });
    }
    if (segment === 'cards' || segment === '') {
      const player = await me(null);
      return cardsScreen(player.cards, player.displayName);
    }
    const player = await me(null, 'Sign in to Coinslot to confirm this purchase.');
    return pay(purchaseGlobalId(segment), player.cards);
  } catch (error) {
    const retry = h('button', { type: 'button', class: 'btn primary wide' }, 'Try again');
    retry.addEventListener('click', () => location.reload());
    show(
      h('h1', {}, 'Coinslot is unreachable'),
      notice(
        'error',
        error instanceof OfflineError ? error.message : 'Something went wrong on our side. Nothing was charged.',
      ),
      retry,
    );
  }
}

void main();
