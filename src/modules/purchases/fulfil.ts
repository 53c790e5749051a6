import type { Executor } from '../../db/client.js';
import type { CatalogItem } from '../catalog/index.js';
import { grantItem } from '../inventory/index.js';
import { creditWallet } from '../wallet/index.js';
import type { EnqueueEventInput } from '../webhooks/index.js';
import type { PurchaseRow } from './purchase-row.js';
import { publicId } from '../../shared/public-ids.js';

/**
 * Delivers what was bought to the recipient, in the success transaction: units in the inventory
 * (a DURABLE owned once), or a CURRENCY_PACK's currency in the wallet. Returns the `item.granted`
 * event that tells the game, for the caller to enqueue with the sale's other events.
 */
export async function fulfil(
  tx: Executor,
  purchase: PurchaseRow,
  item: CatalogItem,
  occurredAt: Date,
): Promise<EnqueueEventInput> {
  const target = { gameId: purchase.gameId, playerId: purchase.recipientId, purchaseId: purchase.id };
  if (item.kind === 'CURRENCY_PACK' && item.grants) {
    const granted = { amountMinor: item.grants.amountMinor * purchase.quantity, currency: item.grants.currency };
    await creditWallet(tx, {
      ...target,
      currency: granted.currency,
      amountMinor: granted.amountMinor,
      reason: 'currency_pack',
    });
    return {
      gameId: purchase.gameId,
      type: 'item.granted',
      aggregateId: purchase.id,
      data: {
        purchaseId: publicId('Purchase', purchase.id),
        playerId: publicId('Player', purchase.recipientId),
        itemId: publicId('Item', item.id),
        sku: item.sku,
        currency: granted,
      },
      occurredAt,
    };
  }
  await grantItem(tx, { ...target, itemId: item.id, kind: item.kind, quantity: purchase.quantity });
  return {
    gameId: purchase.gameId,
    type: 'item.granted',
    aggregateId: purchase.id,
    data: {
      purchaseId: publicId('Purchase', purchase.id),
      playerId: publicId('Player', purchase.recipientId),
      itemId: publicId('Item', item.id),
      sku: item.sku,
      quantity: purchase.quantity,
    },
    occurredAt,
  };
}
