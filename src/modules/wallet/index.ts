// The wallet module: players' balances of a game's currencies. Balances live in the ledger's
// player_wallet accounts (one source of truth); this module is their public face.
export { creditWallet, type CreditWalletInput, type WalletChange } from './credit-wallet.js';
export { debitWallet, type DebitWalletInput } from './debit-wallet.js';
export { refundWalletSpend, type RefundWalletSpendInput } from './refund-wallet-spend.js';
export { clawbackWallet, type ClawbackWalletInput } from './clawback-wallet.js';
export { getWallet, walletBalance } from './get-wallet.js';
export type { WalletMovement } from './wallet-input.js';
