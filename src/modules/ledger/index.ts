// The ledger module: double-entry books per game and currency. Only this module writes ledger rows.
// Signs: an entry's amount_minor is debit positive, credit negative; an account's balance is the sum of its entries.
export { postSale, saleFee, type PostSaleInput, type PostSaleResult } from './post-sale.js';
export { knownSaleAccounts, keepSaleAccounts, forgetSaleAccounts } from './sale-accounts.js';
export { postRefund, type PostRefundInput } from './post-refund.js';
export { postDispute, type PostDisputeInput } from './post-dispute.js';
export type { SaleReversalResult } from './reverse-sale.js';
export {
  postWalletCredit,
  type WalletBalanceChange,
  type WalletCreditInput,
  type WalletPostingInput,
  type WalletPostingResult,
} from './post-wallet-credit.js';
export { postWalletSpend, type WalletSpendInput } from './post-wallet-spend.js';
export { postWalletSpendReversal, type WalletSpendReversalInput } from './post-wallet-spend-reversal.js';
export { postWalletClawback, type WalletClawbackInput, type WalletClawbackResult } from './post-wallet-clawback.js';
export { getWalletBalances, getWalletBalance } from './wallet-accounts.js';
export { getSalePosting, type SalePosting } from './get-sale-posting.js';
export { checkLedger, checkGameLedger, type LedgerCheckScope } from './check-ledger.js';
export {
  getLedgerAccounts,
  getLedgerAccountsByIds,
  getLedgerEntriesByIds,
  getLedgerTransactionEntries,
  getLedgerTransactionsByIds,
  listLedgerEntries,
  type LedgerAccountView,
  type LedgerEntryView,
  type LedgerTransactionView,
  type LedgerEntryFilter,
} from './get-ledger.js';
export { NORMAL_SIDE } from './accounts.js';
export {
  ledgerAccountKinds,
  ledgerTransactionKinds,
  type LedgerAccountKind,
  type LedgerTransactionKind,
} from '../../db/schema/index.js';
export { ReversalExceedsSaleError } from './errors.js';
