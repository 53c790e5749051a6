import { eq } from 'drizzle-orm';
import { items } from '../../db/schema/index.js';
import { requireDeveloper } from '../games/index.js';
import type { ServiceContext } from '../service-context.js';
import { withPrices, type CatalogItem } from './item-rows.js';
import { loadItemForWrite } from './update-item.js';

/**
 * Takes an item off sale: it leaves the catalog but stays readable (players' inventories and past
 * purchases still point to it). Archiving twice keeps the first archive time.
 */
export async function archiveItem(ctx: ServiceContext, input: { readonly itemId: string }): Promise<CatalogItem> {
  requireDeveloper(ctx);
  return ctx.deps.db.transaction(async (tx) => {
    const row = await loadItemForWrite(ctx, tx, input.itemId);
    if (row.archivedAt) return (await withPrices(tx, [row]))[0]!;
    const now = ctx.deps.clock.now();
    const [updated] = await tx
      .update(items)
      .set({ archivedAt: now, updatedAt: now })
      .where(eq(items.id, row.id))
      .returning();
    return (await withPrices(tx, [updated!]))[0]!;
  });
}
