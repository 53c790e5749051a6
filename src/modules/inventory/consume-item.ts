import { and, eq, gte, sql } from 'drizzle-orm';
import { z } from 'zod';
import { gameAuthorizations, inventoryEntries, inventoryEvents, items } from '../../db/schema/index.js';
import type { Executor } from '../../db/client.js';
import {
  ForbiddenError,
  IdempotencyKeyReusedError,
  InsufficientQuantityError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
} from '../../shared/errors.js';
import { isUuid, newId } from '../../shared/ids.js';
import { assertIdempotencyKey } from '../idempotency/index.js';
import type { ServiceContext } from '../service-context.js';
import { entryKey, readEntry, type InventoryEntryView } from './inventory-rows.js';

/** consumeItem's input as the boundary parses it (parseInput). */
export const consumeItemInput = z.object({
  playerId: z.string().nullish(),
  itemId: z.string(),
  quantity: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(1_000_000, 'must be at most 1000000'),
  idempotencyKey: z.string(),
});
export type ConsumeItemInput = z.output<typeof consumeItemInput>;

/** Whether the player has ever had anything to do with the game (an authorization or an inventory row). */
async function isGamePlayer(executor: Executor, gameId: string, playerId: string): Promise<boolean> {
  const [known] = await executor
    .select({ one: sql<number>`1` })
    .from(gameAuthorizations)
    .where(and(eq(gameAuthorizations.gameId, gameId), eq(gameAuthorizations.playerId, playerId)))
    .limit(1);
  if (known) return true;
  const [holds] = await executor
    .select({ one: sql<number>`1` })
    .from(inventoryEntries)
    .where(and(eq(inventoryEntries.gameId, gameId), eq(inventoryEntries.playerId, playerId)))
    .limit(1);
  return Boolean(holds);
}

/**
 * Uses up units of a consumable a player holds: the game's secret key names the player; a player's
 * game token uses up its own player's units in its own game (a client-side game has no server to
 * hold the secret key, and using up one's own items can only take from oneself). Another game's
 * player or item is NotFound. Never below zero: too few → InsufficientQuantity with what is held.
 * Once per (game, player, idempotency key) in the database, behind the GraphQL idempotency layer:
 * a repeat of the same consumption answers the current entry; the key with another item or
 * quantity → IdempotencyKeyReused.
 */
export async function consumeItem(ctx: ServiceContext, parsed: ConsumeItemInput): Promise<InventoryEntryView> {
  const { principal } = ctx;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  if (principal.kind !== 'game_secret' && principal.kind !== 'player_game')
    throw new ForbiddenError("Items are used up by the game: its server (secret key) or the player's game token.");
  assertIdempotencyKey(parsed.idempotencyKey);
  const gameId = principal.gameId;
  let playerId: string;
  if (principal.kind === 'player_game') {
    if (parsed.playerId != null && parsed.playerId !== principal.playerId) throw new NotFoundError('Player');
    playerId = principal.playerId;
  } else {
    if (parsed.playerId == null) throw ValidationError.field('input.playerId', 'is required with the secret key');
    playerId = parsed.playerId;
  }
  const input = { ...parsed, playerId };
  if (!isUuid(input.itemId)) throw new NotFoundError('Item');
  if (!isUuid(input.playerId)) throw new NotFoundError('Player');

  return ctx.deps.db.transaction(async (tx) => {
    const [item] = await tx
      .select({ id: items.id, kind: items.kind })
      .from(items)
      .where(and(eq(items.id, input.itemId), eq(items.gameId, gameId)))
      .limit(1);
    if (!item) throw new NotFoundError('Item');
    if (item.kind !== 'CONSUMABLE')
      throw ValidationError.field('input.itemId', 'only CONSUMABLE items can be consumed');

    const at = ctx.deps.clock.now();
    const [event] = await tx
      .insert(inventoryEvents)
      .values({
        id: newId(),
        gameId,
        playerId: input.playerId,
        itemId: item.id,
        kind: 'consume',
        quantity: input.quantity,
        reference: input.idempotencyKey,
        createdAt: at,
      })
      .onConflictDoNothing()
      .returning({ id: inventoryEvents.id });
    if (!event) {
      const [earlier] = await tx
        .select({ itemId: inventoryEvents.itemId, quantity: inventoryEvents.quantity })
        .from(inventoryEvents)
        .where(
          and(
            eq(inventoryEvents.gameId, gameId),
            eq(inventoryEvents.playerId, input.playerId),
            eq(inventoryEvents.kind, 'consume'),
            eq(inventoryEvents.reference, input.idempotencyKey),
          ),
        )
        .limit(1);
      if (earlier?.itemId !== item.id || earlier.quantity !== input.quantity) throw new IdempotencyKeyReusedError();
      return readEntry(tx, gameId, input.playerId, item.id);
    }

    const [consumed] = await tx
      .update(inventoryEntries)
      .set({ quantity: sql`${inventoryEntries.quantity} - ${input.quantity}`, updatedAt: at })
      .where(and(entryKey(gameId, input.playerId, item.id), gte(inventoryEntries.quantity, input.quantity)))
      .returning();
    if (consumed) return consumed;
    // Nothing consumed (the event insert rolls back with the error): say why.
    const held = await readEntry(tx, gameId, input.playerId, item.id);
    if (held.updatedAt === null && !(await isGamePlayer(tx, gameId, input.playerId))) throw new NotFoundError('Player');
    throw new InsufficientQuantityError(held.quantity);
  });
}
