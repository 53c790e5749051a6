import { z } from 'zod';
import { itemPrices, items } from '../../db/schema/index.js';
import { newId } from '../../shared/ids.js';
import { listCurrencyCodes, loadGameForWrite, requireDeveloper } from '../games/index.js';
import type { ServiceContext } from '../service-context.js';
import { SkuTakenError } from './errors.js';
import { assertValidDraft, isUniqueViolation, itemFields, type ItemDraft } from './item-input.js';
import { withPrices, type CatalogItem } from './item-rows.js';

/** createItem's input as the boundary parses it (parseInput): amounts are Money, text trimmed. */
export const createItemInput = z.object({ gameId: z.string(), ...itemFields });
export type CreateItemInput = z.output<typeof createItemInput>;

/** Adds an item to the calling developer's game. */
export async function createItem(ctx: ServiceContext, input: CreateItemInput): Promise<CatalogItem> {
  requireDeveloper(ctx);
  const draft: ItemDraft = {
    sku: input.sku,
    name: input.name,
    description: input.description || null,
    kind: input.kind,
    prices: input.prices,
    grants: input.grants ?? null,
    maxPerPlayer: input.maxPerPlayer ?? null,
    stock: input.stock ?? null,
    availableFrom: input.availableFrom ?? null,
    availableUntil: input.availableUntil ?? null,
  };
  try {
    return await ctx.deps.db.transaction(async (tx) => {
      const game = await loadGameForWrite(ctx, tx, input.gameId);
      assertValidDraft(draft, await listCurrencyCodes(tx, game.id));
      const now = ctx.deps.clock.now();
      const { prices, grants, ...fields } = draft;
      const [row] = await tx
        .insert(items)
        .values({
          id: newId(),
          gameId: game.id,
          ...fields,
          grantsAmountMinor: grants?.amountMinor ?? null,
          grantsCurrency: grants?.currency ?? null,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await tx
        .insert(itemPrices)
        .values(prices.map((p) => ({ itemId: row!.id, currency: p.currency, amountMinor: p.amountMinor })));
      const [item] = await withPrices(tx, [row!]);
      return item!;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new SkuTakenError(draft.sku);
    throw error;
  }
}
