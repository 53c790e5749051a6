import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client.js';
import { games, itemPrices, items } from '../../db/schema/index.js';
import { NotFoundError } from '../../shared/errors.js';
import { isUuid } from '../../shared/ids.js';
import { listCurrencyCodes, requireDeveloper } from '../games/index.js';
import type { ServiceContext } from '../service-context.js';
import { SkuTakenError } from './errors.js';
import { assertValidDraft, isUniqueViolation, itemFields, type ItemDraft } from './item-input.js';
import { withPrices, type CatalogItem, type ItemRow } from './item-rows.js';

// Absent fields stay; null clears an optional one (description, grants, limits, window).
/** updateItem's input as the boundary parses it (parseInput). */
export const updateItemInput = z.object({
  itemId: z.string(),
  sku: itemFields.sku.optional(),
  name: itemFields.name.optional(),
  description: itemFields.description,
  kind: itemFields.kind.optional(),
  prices: itemFields.prices.optional(),
  grants: itemFields.grants,
  maxPerPlayer: itemFields.maxPerPlayer,
  stock: itemFields.stock,
  availableFrom: itemFields.availableFrom,
  availableUntil: itemFields.availableUntil,
});
export type UpdateItemInput = z.output<typeof updateItemInput>;

/**
 * The calling developer's item, locked for a write; an item of someone else's game is NotFound.
 * Shared by updateItem and archiveItem.
 */
export async function loadItemForWrite(ctx: ServiceContext, tx: Executor, itemId: string): Promise<ItemRow> {
  const developerId = requireDeveloper(ctx);
  if (!isUuid(itemId)) throw new NotFoundError('Item');
  const [found] = await tx
    .select({ item: items })
    .from(items)
    .innerJoin(games, eq(games.id, items.gameId))
    .where(and(eq(items.id, itemId), eq(games.developerId, developerId)))
    .limit(1)
    .for('update', { of: items });
  if (!found) throw new NotFoundError('Item');
  return found.item;
}

/** Changes an item of the calling developer's game; prices, when given, replace the old set. */
export async function updateItem(ctx: ServiceContext, input: UpdateItemInput): Promise<CatalogItem> {
  requireDeveloper(ctx);
  try {
    return await ctx.deps.db.transaction(async (tx) => {
      const row = await loadItemForWrite(ctx, tx, input.itemId);
      const [current] = await withPrices(tx, [row]);
      const was = current!;
      const draft: ItemDraft = {
        sku: input.sku ?? was.sku,
        name: input.name ?? was.name,
        description: input.description === undefined ? was.description : input.description || null,
        kind: input.kind ?? was.kind,
        prices: input.prices ?? [...was.prices],
        grants: input.grants === undefined ? was.grants : input.grants,
        maxPerPlayer: input.maxPerPlayer === undefined ? was.maxPerPlayer : input.maxPerPlayer,
        stock: input.stock === undefined ? was.stock : input.stock,
        availableFrom: input.availableFrom === undefined ? was.availableFrom : input.availableFrom,
        availableUntil: input.availableUntil === undefined ? was.availableUntil : input.availableUntil,
      };
      assertValidDraft(draft, await listCurrencyCodes(tx, row.gameId));
      const { prices, grants, ...fields } = draft;
      const [updated] = await tx
        .update(items)
        .set({
          ...fields,
          grantsAmountMinor: grants?.amountMinor ?? null,
          grantsCurrency: grants?.currency ?? null,
          updatedAt: ctx.deps.clock.now(),
        })
        .where(eq(items.id, row.id))
        .returning();
      if (input.prices) {
        await tx.delete(itemPrices).where(eq(itemPrices.itemId, row.id));
        await tx
          .insert(itemPrices)
          .values(prices.map((p) => ({ itemId: row.id, currency: p.currency, amountMinor: p.amountMinor })));
      }
      const [item] = await withPrices(tx, [updated!]);
      return item!;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new SkuTakenError(input.sku ?? '');
    throw error;
  }
}
