import type { ServiceContext } from '../service-context.js';
import { loadGameForWrite, type GameRow } from './access.js';
import { announceGameKeyRevocation, issueGameKeys, revokeGameKeys, type GameKeyPair } from './keys.js';

/** Replaces a game's keys: the old ones stop working at once, the new ones are returned once. */
export async function rotateGameKeys(
  ctx: ServiceContext,
  input: { readonly gameId: string },
): Promise<{ game: GameRow } & GameKeyPair> {
  let revokedKeyIds: string[] = [];
  try {
    return await ctx.deps.db.transaction(async (tx) => {
      // The row lock makes concurrent rotations take turns, so exactly one pair stays live.
      const game = await loadGameForWrite(ctx, tx, input.gameId, true);
      revokedKeyIds = await revokeGameKeys(ctx, tx, game.id);
      const keys = await issueGameKeys(ctx, tx, game.id);
      return { game, ...keys };
    });
  } finally {
    // after the commit, so that no instance can cache the old keys again from a read before it
    await announceGameKeyRevocation(ctx, revokedKeyIds);
  }
}
