import { and, eq, isNull } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { gameKeys } from '../../db/schema/index.js';
import { newId, newSecret } from '../../shared/ids.js';
import { announceRevocation, hashToken, TOKEN_PREFIX } from '../accounts/index.js';
import type { ServiceContext } from '../service-context.js';

export interface GameKeyPair {
  /** `sk_…`: for the game's server; shown once. */
  readonly secretKey: string;
  /** `pk_…`: safe inside the game client; shown once. */
  readonly publishableKey: string;
}

/** Issues a fresh secret and publishable key for a game; only their keyed hashes are stored. */
export async function issueGameKeys(ctx: ServiceContext, executor: Executor, gameId: string): Promise<GameKeyPair> {
  const pepper = ctx.deps.config.secrets.tokenPepper;
  const secretKey = newSecret(TOKEN_PREFIX.gameSecret);
  const publishableKey = newSecret(TOKEN_PREFIX.gamePublishable);
  const createdAt = ctx.deps.clock.now();
  await executor.insert(gameKeys).values([
    {
      id: newId(),
      gameId,
      kind: 'secret',
      keyHash: hashToken(pepper, secretKey),
      keyPrefix: secretKey.slice(0, 10),
      createdAt,
    },
    {
      id: newId(),
      gameId,
      kind: 'publishable',
      keyHash: hashToken(pepper, publishableKey),
      keyPrefix: publishableKey.slice(0, 10),
      createdAt,
    },
  ]);
  return { secretKey, publishableKey };
}

/**
 * Revokes every live key of a game and returns their ids. They stop authenticating once the
 * caller's transaction commits and it announces the ids (announceGameKeyRevocation), which drops
 * them from every instance's principal cache.
 */
export async function revokeGameKeys(ctx: ServiceContext, executor: Executor, gameId: string): Promise<string[]> {
  const revoked = await executor
    .update(gameKeys)
    .set({ revokedAt: ctx.deps.clock.now() })
    .where(and(eq(gameKeys.gameId, gameId), isNull(gameKeys.revokedAt)))
    .returning({ id: gameKeys.id });
  return revoked.map((row) => row.id);
}

/** After the transaction of revokeGameKeys (committed, or with an unknown outcome): see announceRevocation. */
export function announceGameKeyRevocation(ctx: ServiceContext, keyIds: readonly string[]): Promise<void> {
  return announceRevocation(ctx.deps, { kind: 'game_key', ids: keyIds });
}
