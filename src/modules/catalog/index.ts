// The catalog module: a game's items, their prices, availability and stock.
export { createItem, createItemInput, type CreateItemInput } from './create-item.js';
export { updateItem, updateItemInput, type UpdateItemInput } from './update-item.js';
export { archiveItem } from './archive-item.js';
export { getCatalog, CATALOG_PAGE_MAX, type CatalogPage } from './get-catalog.js';
export { getItemsByIds, listGameItems } from './get-items.js';
export { getItemForPurchase } from './item-by-id.js';
export { takeStock, returnStock } from './stock.js';
export { isOnSale, toCatalogItem, type CatalogItem } from './item-rows.js';
export { SkuTakenError } from './errors.js';
export { MAX_PURCHASE_QUANTITY, MAX_GRANT_MINOR } from './item-input.js';
export { itemKinds as ITEM_KINDS, type ItemKind } from '../../db/schema/index.js';
