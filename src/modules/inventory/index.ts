// The inventory module: what players hold of a game's items, and every change to it.
export { grantItem, grantUnits, type GrantItemInput, type GrantItemResult } from './grant-item.js';
export { revokeItem, type RevokeItemInput } from './revoke-item.js';
export { consumeItem, consumeItemInput, type ConsumeItemInput } from './consume-item.js';
export { getInventory, ownedQuantity, purchasedQuantity } from './get-inventory.js';
export { resolvePlayerScope, type PlayerScope } from './player-scope.js';
export type { InventoryEntryView } from './inventory-rows.js';
