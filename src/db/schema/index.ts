// Re-exports every domain's tables; drizzle-kit reads this file.
export * from './accounts.js';
export * from './games.js';
export * from './catalog.js';
export * from './authorizations.js';
export * from './cards.js';
export * from './purchases.js';
export * from './outbox.js';
export * from './ledger.js';
export * from './inventory.js';
export * from './fraud.js';
export * from './refunds.js';
