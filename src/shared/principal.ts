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
  | { readonly kind: 'operator' }
  /**
   * Coinslot itself: a background job (recovery, expiry, dispute polling…) or a signed acquirer
   * callback. It is no caller: no read or write a credential may ask for is open to it, and the
   * work it does (settling a purchase, booking a dispute) checks no caller. Never from a token.
   */
  | { readonly kind: 'system'; readonly job: string };

export const anonymous: Principal = { kind: 'anonymous' };

/** The actor of background work, named after the job (it shows in logs and idempotency scopes). */
export function systemActor(job: string): Extract<Principal, { kind: 'system' }> {
  return { kind: 'system', job };
}

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
    case 'system':
      return `system:${principal.job}`;
  }
}
