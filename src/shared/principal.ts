/** Who is calling: resolved once per request from the Authorization header. */
export type Principal =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'developer'; readonly developerId: string; readonly sessionId: string }
  | { readonly kind: 'player'; readonly playerId: string; readonly sessionId: string }
  /** A game server holding the game's secret key `sk_…`. */
  | { readonly kind: 'game_secret'; readonly gameId: string; readonly developerId: string; readonly keyId: string }
  /** A game client holding only the publishable key `pk_…` (catalog). */
  | { readonly kind: 'game_publishable'; readonly gameId: string; readonly keyId: string }
  /** A game client acting for one player, with the game token `gt_…` from authorizeGame. */
  | {
      readonly kind: 'player_game';
      readonly playerId: string;
      readonly gameId: string;
      readonly authorizationId: string;
    }
  | { readonly kind: 'operator' };

export const anonymous: Principal = { kind: 'anonymous' };

/** A stable id of the principal, for idempotency scopes and rate-limit keys. */
export function principalKey(principal: Principal): string {
  switch (principal.kind) {
    case 'anonymous':
      return 'anon';
    case 'developer':
      return `dev:${principal.developerId}`;
    case 'player':
      return `player:${principal.playerId}`;
    case 'game_secret':
      return `game:${principal.gameId}`;
    case 'game_publishable':
      return `gamepub:${principal.gameId}`;
    case 'player_game':
      return `pg:${principal.gameId}:${principal.playerId}`;
    case 'operator':
      return 'operator';
  }
}
