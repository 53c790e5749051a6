// Coinslot Connect over HTTP: the OAuth 2.0 authorization endpoint (which opens the web front's consent)
// and the token endpoint (RFC 6749 §4.1, §5; PKCE RFC 7636; native apps RFC 8252).
import { exchangeCode, isRegisteredRedirect, OAuthError } from '../modules/authorizations/index.js';
import { findGame, type GameRow } from '../modules/games/index.js';
import type { Deps } from '../modules/service-context.js';
import { decodeId } from '../graphql/relay.js';
import { htmlHeaders } from './web-headers.js';

/** The game a client_id names, or null (malformed, of another type, unknown). */
async function clientGame(deps: Deps, clientId: string | null): Promise<GameRow | null> {
  if (!clientId) return null;
  let id: string;
  try {
    id = decodeId('Game', clientId, 'client_id');
  } catch {
    return null;
  }
  return findGame(deps.db, id);
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/**
 * The page Coinslot shows when it cannot trust where to send the answer (RFC 6749 §4.1.2.1): no
 * redirect, no message to anyone, only words for the player.
 */
export function oauthErrorPage(title: string, detail: string): Response {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Coinslot · ${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:2rem 1.25rem;color:#111827;background:#fff}
main{max-width:28rem;margin:0 auto}h1{font-size:1.375rem;margin:0 0 .75rem}p{margin:0 0 .75rem}
.logo{font-weight:700;color:#3730a3}.detail{color:#374151}</style></head>
<body><main><p class="logo">◎ Coinslot</p><h1>${escapeHtml(title)}</h1>
<p class="detail">${escapeHtml(detail)}</p>
<p>Close this window and go back to the game. Nothing was shared and nothing was charged.</p></main></body></html>`;
  return new Response(body, {
    status: 400,
    headers: htmlHeaders({ frameAncestors: [], inlineStyle: true }),
  });
}

/**
 * `GET /oauth/authorize`. The client and where the answer goes are checked first: an unknown game, or
 * a redirect URI / origin the game did not register, gets an error page on Coinslot and never a
 * redirect. Then the rest of the request: in redirect mode its errors go back to the redirect URI with
 * `state` (§4.1.2.1); with response_mode=web_message the error page says it. A valid request opens the
 * web front's consent (`consentPage`), which reads the same parameters.
 */
export async function authorizeEndpoint(
  deps: Deps,
  request: Request,
  consentPage: (game: GameRow) => Promise<Response | null>,
): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const game = await clientGame(deps, params.get('client_id'));
  if (!game)
    return oauthErrorPage(
      'This game is not known to Coinslot',
      'The link names a game (client_id) that does not exist.',
    );
  const redirectUri = params.get('redirect_uri');
  const mode = params.get('response_mode') ?? 'query';
  if (mode !== 'query' && mode !== 'web_message')
    return oauthErrorPage('Coinslot cannot open this link', 'response_mode must be query or web_message.');
  const registered =
    redirectUri !== null &&
    (mode === 'web_message' ? game.allowedOrigins.includes(redirectUri) : isRegisteredRedirect(game, redirectUri));
  if (!registered)
    return oauthErrorPage(
      'Coinslot cannot connect this game from here',
      mode === 'web_message'
        ? `${game.name} did not register this website's origin with Coinslot.`
        : `${game.name} did not register this redirect address with Coinslot.`,
    );
  const problem =
    params.get('response_type') !== 'code'
      ? { error: 'unsupported_response_type', detail: 'response_type must be code.' }
      : !/^[A-Za-z0-9_-]{43}$/.test(params.get('code_challenge') ?? '')
        ? { error: 'invalid_request', detail: 'code_challenge must be a base64url SHA-256 (43 characters).' }
        : params.get('code_challenge_method') !== 'S256'
          ? { error: 'invalid_request', detail: 'code_challenge_method must be S256.' }
          : !params.get('state') || (params.get('state') ?? '').length > 1024
            ? { error: 'invalid_request', detail: 'state is required (at most 1024 characters).' }
            : null;
  if (problem) {
    if (mode === 'web_message') return oauthErrorPage('Coinslot cannot open this link', problem.detail);
    const back = new URL(redirectUri!);
    back.searchParams.set('error', problem.error);
    back.searchParams.set('error_description', problem.detail);
    const state = params.get('state');
    if (state) back.searchParams.set('state', state);
    return new Response(null, { status: 302, headers: { location: back.href, 'cache-control': 'no-store' } });
  }
  const page = await consentPage(game);
  if (!page)
    return new Response('Coinslot web front is not built (npm run build:web).', {
      status: 503,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  return page;
}

/** CORS for a web game's token exchange: its registered origin only, never a wildcard, no credentials. */
function corsFor(game: GameRow | null, origin: string | null): Record<string, string> {
  if (!game || !origin || !game.allowedOrigins.includes(origin)) return { vary: 'Origin' };
  return { 'access-control-allow-origin': origin, vary: 'Origin' };
}

function tokenError(error: OAuthError, cors: Record<string, string>): Response {
  return Response.json(
    { error: error.error, error_description: error.description },
    {
      status: error.status,
      headers: {
        'cache-control': 'no-store',
        pragma: 'no-cache',
        ...(error.status === 401 ? { 'www-authenticate': 'Basic realm="coinslot"' } : {}),
        ...cors,
      },
    },
  );
}

/** `POST /oauth/token` (application/x-www-form-urlencoded): the authorization code grant with PKCE. */
export async function tokenEndpoint(deps: Deps, request: Request): Promise<Response> {
  const origin = request.headers.get('origin');
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    return tokenError(new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded'), {});
  const text = await request.text();
  if (text.length > 8192) return tokenError(new OAuthError('invalid_request', 'the body is too large'), {});
  const form = new URLSearchParams(text);
  // RFC 6749 §3.2: a parameter sent twice is an invalid request.
  for (const key of new Set(form.keys()))
    if (form.getAll(key).length > 1)
      return tokenError(new OAuthError('invalid_request', `${key} must be sent once`), {});
  const game = await clientGame(deps, form.get('client_id'));
  const cors = corsFor(game, origin);
  if (!game) return tokenError(new OAuthError('invalid_client', 'unknown client_id'), cors);
  if (form.get('grant_type') !== 'authorization_code')
    return tokenError(
      new OAuthError('unsupported_grant_type', 'only grant_type=authorization_code is supported'),
      cors,
    );
  const code = form.get('code');
  const redirectUri = form.get('redirect_uri');
  const codeVerifier = form.get('code_verifier');
  if (!code || !redirectUri || !codeVerifier)
    return tokenError(new OAuthError('invalid_request', 'code, redirect_uri and code_verifier are required'), cors);
  try {
    const { accessToken, scope } = await exchangeCode(deps, { code, redirectUri, gameId: game.id, codeVerifier });
    return Response.json(
      { access_token: accessToken, token_type: 'Bearer', scope },
      { headers: { 'cache-control': 'no-store', pragma: 'no-cache', ...cors } },
    );
  } catch (error) {
    if (error instanceof OAuthError) return tokenError(error, cors);
    throw error;
  }
}
