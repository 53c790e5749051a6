import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import { findGame, type GameRow } from '../games/index.js';
import type { ServiceContext } from '../service-context.js';

/** Whose game data (inventory, wallet) a read is about, once the caller is allowed to see it. */
export interface PlayerScope {
  readonly game: GameRow;
  readonly playerId: string;
}

/**
 * Who may read a player's inventory or wallet in a game: the player's game token (own, that game),
 * the player's Coinslot session (own), and, naming the player, the game's secret key, its developer
 * and operators. A game the caller may not see is NotFound; so is asking a token about another player.
 */
export async function resolvePlayerScope(
  ctx: ServiceContext,
  gameId: string,
  playerId?: string | null,
): Promise<PlayerScope> {
  const { principal } = ctx;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  if (principal.kind === 'game_publishable')
    throw new ForbiddenError("Read a player's data with their game token or the game's secret key.");
  const game = await findGame(ctx.deps.db, gameId);
  if (!game) throw new NotFoundError('Game');
  if (principal.kind === 'player_game' || principal.kind === 'player') {
    if (principal.kind === 'player_game' && principal.gameId !== game.id) throw new NotFoundError('Game');
    if (playerId != null && playerId !== principal.playerId) throw new NotFoundError('Player');
    return { game, playerId: principal.playerId };
  }
  const mayRead =
    principal.kind === 'operator' ||
    (principal.kind === 'game_secret' && principal.gameId === game.id) ||
    (principal.kind === 'developer' && principal.developerId === game.developerId);
  if (!mayRead) throw new NotFoundError('Game');
  if (playerId == null) throw ValidationError.field('playerId', "is required unless you hold the player's own token");
  if (!isUuid(playerId)) throw new NotFoundError('Player');
  return { game, playerId };
}
