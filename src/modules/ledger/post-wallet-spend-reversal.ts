import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { ledgerAccounts, ledgerEntries, ledgerTransactions } from '../../db/schema/index.js';
import { InvalidStateError } from '../../shared/errors.js';
import { accountKeyString } from './accounts.js';
import { ReversalExceedsSaleError } from './errors.js';
import type { WalletPostingInput, WalletPostingResult } from './post-wallet-credit.js';
import { assertPositiveAmount, findPosting, post } from './post.js';
import { currencyAccount, getWalletBalance, walletAccount } from './wallet-accounts.js';

export interface WalletSpendReversalInput extends WalletPostingInput {
  readonly purchaseId: string;
  readonly refundId: string;
}

/** What the wallet legs of a purchase's transactions of `kind` add up to (signed, as posted). */
async function walletTotal(
  tx: Executor,
  purchaseId: string,
  kind: 'wallet_spend' | 'wallet_spend_reversal',
): Promise<number> {
  const [row] = await tx
    .select({ total: sql<number>`coalesce(sum(${ledgerEntries.amountMinor}), 0)::bigint`.mapWith(Number) })
    .from(ledgerTransactions)
    .innerJoin(ledgerEntries, eq(ledgerEntries.transactionId, ledgerTransactions.id))
    .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerEntries.accountId))
    .where(
      and(
        eq(ledgerTransactions.purchaseId, purchaseId),
        eq(ledgerTransactions.kind, kind),
        eq(ledgerAccounts.kind, 'player_wallet'),
      ),
    );
  return row?.total ?? 0;
}

/**
 * Gives back currency spent on a purchase that is refunded: debit player_wallet, credit
 * currency_spent. All give-backs of a purchase together never exceed what it spent
 * (ReversalExceedsSaleError). Once per refund id.
 */
export async function postWalletSpendReversal(
  tx: Executor,
  input: WalletSpendReversalInput,
): Promise<WalletPostingResult> {
  assertPositiveAmount('amountMinor', input.amountMinor);
  const [spend] = await tx
    .select({ id: ledgerTransactions.id })
    .from(ledgerTransactions)
    .where(and(eq(ledgerTransactions.kind, 'wallet_spend'), eq(ledgerTransactions.reference, input.purchaseId)))
    .limit(1)
    .for('update');
  if (!spend) throw new InvalidStateError('No wallet spend is posted for this purchase; nothing can be given back.');
  const wallet = walletAccount(input.gameId, input.playerId, input.currency);
  const existing = await findPosting(tx, 'wallet_spend_reversal', input.refundId);
  if (existing) {
    return {
      balanceMinor: await getWalletBalance(tx, input.gameId, input.playerId, input.currency),
      transactionId: existing.id,
      duplicate: true,
    };
  }
  const spent = -(await walletTotal(tx, input.purchaseId, 'wallet_spend'));
  const returned = await walletTotal(tx, input.purchaseId, 'wallet_spend_reversal');
  if (returned + input.amountMinor > spent) throw new ReversalExceedsSaleError(input.purchaseId, spent - returned);
  const posted = await post(
    tx,
    {
      kind: 'wallet_spend_reversal',
      reference: input.refundId,
      gameId: input.gameId,
      purchaseId: input.purchaseId,
      refundId: input.refundId,
      playerId: input.playerId,
      reason: 'refund',
      ...(input.at ? { at: input.at } : {}),
    },
    [
      { account: wallet, amountMinor: input.amountMinor },
      { account: currencyAccount('currency_spent', input.gameId, input.currency), amountMinor: -input.amountMinor },
    ],
  );
  const balanceMinor =
    posted.balances.get(accountKeyString(wallet)) ??
    (await getWalletBalance(tx, input.gameId, input.playerId, input.currency));
  return { balanceMinor, transactionId: posted.transactionId, duplicate: posted.duplicate };
}
