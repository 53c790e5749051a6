import type { CatalogItem } from '../catalog/index.js';
import { grantUnits } from '../inventory/index.js';
import type { EnqueueEventInput } from '../webhooks/index.js';
import type { PurchaseRow } from './purchase-row.js';
import { publicId } from '../../shared/public-ids.js';

/** What settle_purchase grants the recipient: units of the item in the inventory, or a pack's currency in the wallet. */
export type SettleGrant =
  | { readonly kind: 'item'; readonly units: number; readonly durable: boolean }
  | { readonly kind: 'wallet'; readonly currency: string; readonly amountMinor: number };

export interface Fulfilment {
  readonly grant: SettleGrant;
  /** The `item.granted` event that tells the game, to enqueue with the sale's other events. */
  readonly event: EnqueueEventInput;
}

/**
 * What delivering a purchase writes, for the success statement (settle_purchase) to write it: units
 * in the inventory (a DURABLE owned once), or a CURRENCY_PACK's currency in the wallet.
 */
export function fulfilment(purchase: PurchaseRow, item: CatalogItem, occurredAt: Date): Fulfilment {
  const about = {
    purchaseId: publicId('Purchase', purchase.id),
    playerId: publicId('Player', purchase.recipientId),
    itemId: publicId('Item', item.id),
    sku: item.sku,
  };
  const event = (extra: Record<string, unknown>): EnqueueEventInput => ({
    gameId: purchase.gameId,
    type: 'item.granted',
    aggregateId: purchase.id,
    data: { ...about, ...extra },
    occurredAt,
  });
  if (item.kind === 'CURRENCY_PACK') {
    if (!item.grants) throw new RangeError(`currency pack ${item.id} grants nothing`);
    const granted = { amountMinor: item.grants.amountMinor * purchase.quantity, currency: item.grants.currency };
    return { grant: { kind: 'wallet', ...granted }, event: event({ currency: granted }) };
  }
  return {
    grant: { kind: 'item', units: grantUnits(item.kind, purchase.quantity), durable: item.kind === 'DURABLE' },
    event: event({ quantity: purchase.quantity }),
  };
}
