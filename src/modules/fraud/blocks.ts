import { and, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../../db/client.js';
import { preparedStatement } from '../../db/prepared.js';
import { blockedCardFingerprints, playerBlocks } from '../../db/schema/index.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../shared/errors.js';
import { isUuid, newId } from '../../shared/ids.js';
import { text } from '../../shared/validation.js';
import { getPlayersByIds } from '../accounts/index.js';
import type { ServiceContext } from '../service-context.js';

export type PlayerBlockRow = typeof playerBlocks.$inferSelect;
export type CardFingerprintBlockRow = typeof blockedCardFingerprints.$inferSelect;

/** Only the operator token may review risk and block. */
export function requireOperator(ctx: ServiceContext): void {
  if (ctx.principal.kind === 'operator') return;
  if (ctx.principal.kind === 'anonymous') throw new UnauthenticatedError();
  throw new ForbiddenError('Only an operator may do that.');
}

// Every purchase and card addition checks both: prepared.
const playerBlock = preparedStatement((db) =>
  db
    .select({ id: playerBlocks.id })
    .from(playerBlocks)
    .where(and(eq(playerBlocks.playerId, sql.placeholder('playerId')), isNull(playerBlocks.liftedAt)))
    .limit(1)
    .prepare('fraud_active_player_block'),
);

const cardBlock = preparedStatement((db) =>
  db
    .select({ id: blockedCardFingerprints.id })
    .from(blockedCardFingerprints)
    .where(
      and(
        eq(blockedCardFingerprints.fingerprint, sql.placeholder('fingerprint')),
        isNull(blockedCardFingerprints.liftedAt),
      ),
    )
    .limit(1)
    .prepare('fraud_active_card_block'),
);

/** Which operator blocks apply to a player and a card, in one round trip each, run side by side. */
export async function activeBlocks(
  db: Database,
  playerId: string,
  fingerprint: string | null,
): Promise<{ player: boolean; card: boolean }> {
  const [player, card] = await Promise.all([
    isUuid(playerId) ? playerBlock(db).execute({ playerId }) : Promise.resolve([]),
    fingerprint ? cardBlock(db).execute({ fingerprint }) : Promise.resolve([]),
  ]);
  return { player: player.length > 0, card: card.length > 0 };
}

/** blockPlayer's input as the boundary parses it (parseInput). */
export const blockPlayerInput = z.object({ playerId: z.string(), reason: text(500) });
export type BlockPlayerInput = z.output<typeof blockPlayerInput>;
/** blockCardFingerprint's input as the boundary parses it; unblockCardFingerprint takes its fingerprint alone. */
export const cardFingerprintBlockInput = z.object({
  fingerprint: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{16,128}$/, 'must be a card fingerprint (base64url)'),
  reason: text(500),
});
export type CardFingerprintBlockInput = z.output<typeof cardFingerprintBlockInput>;
export const cardFingerprintUnblockInput = cardFingerprintBlockInput.pick({ fingerprint: true });

function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } })?.cause;
  return (error as { code?: string })?.code === '23505' || cause?.code === '23505';
}

/** Blocks a player from buying and adding cards (operator); blocking a blocked player returns the block in force. */
export async function blockPlayer(ctx: ServiceContext, input: BlockPlayerInput): Promise<PlayerBlockRow> {
  requireOperator(ctx);
  const { db, clock } = ctx.deps;
  if (!isUuid(input.playerId)) throw new NotFoundError('Player');
  const current = () =>
    db
      .select()
      .from(playerBlocks)
      .where(and(eq(playerBlocks.playerId, input.playerId), isNull(playerBlocks.liftedAt)))
      .limit(1)
      .then(([row]) => row ?? null);
  const existing = await current();
  if (existing) return existing;
  const [player] = await getPlayersByIds(ctx, [input.playerId]);
  if (!player) throw new NotFoundError('Player');
  try {
    const [row] = await db
      .insert(playerBlocks)
      .values({ id: newId(), playerId: input.playerId, reason: input.reason, createdAt: clock.now() })
      .returning();
    return row!;
  } catch (error) {
    // a concurrent block won: it is the one in force
    if (isUniqueViolation(error)) return (await current())!;
    throw error;
  }
}

/** Lifts a player's block (operator); true when a block was lifted. Velocity blocks (declines) run their course. */
export async function unblockPlayer(ctx: ServiceContext, input: { readonly playerId: string }): Promise<boolean> {
  requireOperator(ctx);
  if (!isUuid(input.playerId)) return false;
  const lifted = await ctx.deps.db
    .update(playerBlocks)
    .set({ liftedAt: ctx.deps.clock.now() })
    .where(and(eq(playerBlocks.playerId, input.playerId), isNull(playerBlocks.liftedAt)))
    .returning({ id: playerBlocks.id });
  return lifted.length > 0;
}

/** Blocks a card, by its keyed fingerprint, for every player (operator); idempotent. */
export async function blockCardFingerprint(
  ctx: ServiceContext,
  input: CardFingerprintBlockInput,
): Promise<CardFingerprintBlockRow> {
  requireOperator(ctx);
  const { db, clock } = ctx.deps;
  const current = () =>
    db
      .select()
      .from(blockedCardFingerprints)
      .where(and(eq(blockedCardFingerprints.fingerprint, input.fingerprint), isNull(blockedCardFingerprints.liftedAt)))
      .limit(1)
      .then(([row]) => row ?? null);
  const existing = await current();
  if (existing) return existing;
  try {
    const [row] = await db
      .insert(blockedCardFingerprints)
      .values({ id: newId(), fingerprint: input.fingerprint, reason: input.reason, createdAt: clock.now() })
      .returning();
    return row!;
  } catch (error) {
    if (isUniqueViolation(error)) return (await current())!;
    throw error;
  }
}

/** Lifts a card fingerprint's block (operator); true when a block was lifted. */
export async function unblockCardFingerprint(
  ctx: ServiceContext,
  input: { readonly fingerprint: string },
): Promise<boolean> {
  requireOperator(ctx);
  const lifted = await ctx.deps.db
    .update(blockedCardFingerprints)
    .set({ liftedAt: ctx.deps.clock.now() })
    .where(and(eq(blockedCardFingerprints.fingerprint, input.fingerprint), isNull(blockedCardFingerprints.liftedAt)))
    .returning({ id: blockedCardFingerprints.id });
  return lifted.length > 0;
}
