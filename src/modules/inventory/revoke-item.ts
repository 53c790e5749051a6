import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { inventoryEntries, inventoryEvents } from '../../db/schema/index.js';
import { newId } from '../../shared/ids.js';
import { assertUnits, entryKey, readEntry } from './inventory-rows.js';

export interface RevokeItemInput {
  readonly gameId: string;
  readonly playerId: string;
  readonly itemId: string;
  /** Units to take back (a DURABLE: 1). */
  readonly quantity: number;
  /** The refund or dispute that takes it back; a repeat with it takes nothing more. */
  readonly reference: string;
  readonly purchaseId?: string | null;
  readonly at?: Date;
}

/**
 * Takes back what is left of a refunded or disputed item: min(quantity, held), under the entry's
 * row lock, and returns how many units it took. What the player already consumed stays consumed.
 */
export async function revokeItem(tx: Executor, input: RevokeItemInput): Promise<number> {
  assertUnits('quantity', input.quantity);
  const held = await readEntry(tx, input.gameId, input.playerId, input.itemId, true);
  const [previous] = await tx
    .select({ quantity: inventoryEvents.quantity })
    .from(inventoryEvents)
    .where(
      and(
        eq(inventoryEvents.gameId, input.gameId),
        eq(inventoryEvents.playerId, input.playerId),
        eq(inventoryEvents.kind, 'revoke'),
        eq(inventoryEvents.reference, input.reference),
      ),
    )
    .limit(1);
  if (previous) return previous.quantity;
  const taken = Math.min(input.quantity, held.quantity);
  const at = input.at ?? new Date();
  // The event is written even when nothing is left, so a repeated revoke stays a no-op.
  await tx.insert(inventoryEvents).values({
    id: newId(),
    gameId: input.gameId,
    playerId: input.playerId,
    itemId: input.itemId,
    kind: 'revoke',
    quantity: taken,
    reference: input.reference,
    purchaseId: input.purchaseId ?? null,
    createdAt: at,
  });
  if (taken > 0) {
    await tx
      .update(inventoryEntries)
      .set({ quantity: sql`${inventoryEntries.quantity} - ${taken}`, updatedAt: at })
      .where(entryKey(input.gameId, input.playerId, input.itemId));
  }
  return taken;
}
