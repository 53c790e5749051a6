// Coinslot's own pages for a game: the consent (/oauth/authorize) and the pay sheet (/pay/*). Which
// game a page serves decides who may frame it (`frame-ancestors` built from the game's registered
// origins, 'self' otherwise) and where it may post its outcome (`?origin=`, checked here against the
// same list before the page is served, so the page never posts to an origin the game did not register;
// `?redirect_uri=` likewise, for the way back in redirect mode).
import { isRegisteredRedirect } from '../modules/authorizations/index.js';
import { findPurchase } from '../modules/purchases/index.js';
import { findGame, type GameRow } from '../modules/games/index.js';
import type { Deps } from '../modules/service-context.js';
import { decodeId } from '../graphql/relay.js';
import { oauthErrorPage } from './oauth.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Who may frame a game's page: Coinslot itself and the game's registered web origins. */
export function frameAncestorsFor(game: Pick<GameRow, 'allowedOrigins'> | null): string[] {
  return ["'self'", ...(game?.allowedOrigins ?? [])];
}

function rowId(kind: 'Game' | 'Purchase', id: string | null): string | null {
  if (!id) return null;
  if (kind === 'Purchase' && UUID.test(id)) return id;
  try {
    return decodeId(kind, id, 'id');
  } catch {
    return null;
  }
}

/** The game a /pay page is for: the purchase's game for /pay/<purchase id>, else `client_id` (or `gameId`). */
async function gameOfPayPage(deps: Deps, url: URL): Promise<GameRow | null> {
  const segment = decodeURIComponent(url.pathname.replace(/^\/pay\/?/, '').split('/')[0] ?? '');
  if (segment && segment !== 'connect' && segment !== 'cards') {
    const purchaseId = rowId('Purchase', segment);
    const purchase = purchaseId ? await findPurchase(deps.db, purchaseId) : null;
    return purchase ? findGame(deps.db, purchase.gameId) : null;
  }
  const gameId = rowId('Game', url.searchParams.get('client_id') ?? url.searchParams.get('gameId'));
  return gameId ? findGame(deps.db, gameId) : null;
}

/**
 * `GET /pay/*`: the web front's page with the game's `frame-ancestors`. An `origin` the game did not
 * register (or a page whose game is unknown, with an `origin`) gets an error page: no page that could
 * post a purchase's outcome to a stranger.
 */
export async function payPage(
  deps: Deps,
  request: Request,
  page: (frameAncestors: readonly string[]) => Promise<Response | null>,
): Promise<Response | null> {
  const url = new URL(request.url);
  const game = await gameOfPayPage(deps, url);
  const origin = url.searchParams.get('origin');
  if (origin !== null && !game?.allowedOrigins.includes(origin))
    return oauthErrorPage(
      'Coinslot cannot open this here',
      game
        ? `${game.name} did not register this website (${origin}) with Coinslot.`
        : 'This link names no purchase or game that Coinslot knows.',
    );
  // Redirect mode: the sheet sends the tab back here when it closes, so only where the game registered.
  const redirectUri = url.searchParams.get('redirect_uri');
  if (redirectUri !== null && !(game && isRegisteredRedirect(game, redirectUri)))
    return oauthErrorPage(
      'Coinslot cannot open this here',
      game
        ? `${game.name} did not register this address (${redirectUri}) with Coinslot.`
        : 'This link names no purchase or game that Coinslot knows.',
    );
  return page(frameAncestorsFor(game));
}
