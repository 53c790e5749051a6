import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { preparedSql } from '../../db/prepared.js';
import { newId } from '../../shared/ids.js';
import { assertPositiveAmount } from './post.js';
import { getWalletBalance } from './wallet-accounts.js';

export interface WalletPostingInput {
  readonly gameId: string;
  readonly playerId: string;
  /** A game currency code (GEM). */
  readonly currency: string;
  readonly amountMinor: number;
  readonly at?: Date;
}

/** A credit is posted at the database's now(), as settle_purchase posts a pack's: no `at`. */
export interface WalletCreditInput extends Omit<WalletPostingInput, 'at'> {
  /** Why, for the books: 'currency_pack', 'grant', … */
  readonly reason: string;
  /** The currency pack purchase that pays for it; also the default reference. */
  readonly purchaseId?: string | null;
  /** What makes the credit unique (default: the purchase id; without either, every call credits). */
  readonly reference?: string;
}

export interface WalletBalanceChange {
  /** The wallet's balance after the posting. */
  readonly balanceMinor: number;
  /** True when the reference was already posted: nothing was written. */
  readonly duplicate: boolean;
}

export interface WalletPostingResult extends WalletBalanceChange {
  readonly transactionId: string;
}

// The credit is the SQL function ledger_post_wallet_credit (drizzle/0016), the very one a currency
// pack's settlement runs inside settle_purchase: one implementation of the rule, whichever path credits.
const creditStatement = preparedSql(
  'ledger_wallet_credit',
  sql`select ledger_post_wallet_credit(${sql.placeholder('gameId')}::uuid, ${sql.placeholder('playerId')}::uuid,
    ${sql.placeholder('currency')}::text, ${sql.placeholder('amountMinor')}::bigint, ${sql.placeholder('reference')}::text,
    ${sql.placeholder('purchaseId')}::uuid, ${sql.placeholder('reason')}::text) as balance_minor`,
);

/**
 * Credits a player's wallet with newly issued game currency: debit player_wallet, credit
 * currency_issued, opening the wallet on its first credit. Once per reference (default: the
 * purchase id; without either, every call credits). The currency must be one the game defined.
 */
export async function postWalletCredit(tx: Executor, input: WalletCreditInput): Promise<WalletBalanceChange> {
  assertPositiveAmount('amountMinor', input.amountMinor);
  const [row] = await creditStatement.execute<{ balance_minor: string | number | null }>(tx, {
    gameId: input.gameId,
    playerId: input.playerId,
    currency: input.currency,
    amountMinor: input.amountMinor,
    reference: input.reference ?? input.purchaseId ?? newId(),
    purchaseId: input.purchaseId ?? null,
    reason: input.reason,
  });
  // null: the reference was posted before; the balance is then read as it stands
  if (row?.balance_minor === null || row?.balance_minor === undefined)
    return { balanceMinor: await getWalletBalance(tx, input.gameId, input.playerId, input.currency), duplicate: true };
  return { balanceMinor: Number(row.balance_minor), duplicate: false };
}
