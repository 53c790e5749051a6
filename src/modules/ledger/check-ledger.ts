import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { queryRows } from '../../db/query-rows.js';
import { isUuid } from '../../shared/ids.js';
import type { ServiceContext } from '../service-context.js';
import { loadLedgerGame } from './get-ledger.js';

export interface LedgerCheckScope {
  /** Only this purchase's transactions (and the accounts they touch). */
  readonly purchaseId?: string;
  /** Only this game's transactions and accounts. */
  readonly gameId?: string;
}

const n = (value: unknown): number => Number(value);

/**
 * Checks every ledger invariant and describes each violation (an empty list means healthy):
 * each transaction has entries and sums to zero per currency, within one game; each account's
 * balance equals the sum of its entries; no wallet is below zero; per purchase, refunds and
 * disputes never exceed the sale, the fee and net returned never exceed the sale's, and a full
 * reversal returns exactly fee and net; currency given back never exceeds what a purchase spent.
 */
export async function checkLedger(executor: Executor, scope: LedgerCheckScope = {}): Promise<string[]> {
  for (const [name, value] of Object.entries(scope)) {
    if (value !== undefined && !isUuid(value)) throw new RangeError(`checkLedger ${name} must be a uuid`);
  }
  const txConditions: SQL[] = [];
  if (scope.gameId) txConditions.push(sql`t.game_id = ${scope.gameId}::uuid`);
  if (scope.purchaseId) txConditions.push(sql`t.purchase_id = ${scope.purchaseId}::uuid`);
  const txWhere = txConditions.length ? sql.join(txConditions, sql` and `) : sql`true`;
  const accountConditions: SQL[] = [];
  if (scope.gameId) accountConditions.push(sql`a.game_id = ${scope.gameId}::uuid`);
  if (scope.purchaseId)
    accountConditions.push(
      sql`a.id in (select e.account_id from ledger_entries e join ledger_transactions t on t.id = e.transaction_id where t.purchase_id = ${scope.purchaseId}::uuid)`,
    );
  const accountWhere = accountConditions.length ? sql.join(accountConditions, sql` and `) : sql`true`;
  const violations: string[] = [];

  const unbalanced = await queryRows<{ id: string; kind: string; reference: string; currency: string; total: unknown }>(
    executor,
    sql`select t.id, t.kind, t.reference, e.currency, sum(e.amount_minor)::bigint as total
        from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
        where ${txWhere}
        group by t.id, t.kind, t.reference, e.currency
        having sum(e.amount_minor) <> 0
        order by t.id, e.currency`,
  );
  for (const r of unbalanced)
    violations.push(`transaction ${r.id} (${r.kind} ${r.reference}) sums to ${n(r.total)} ${r.currency}, not 0`);

  const empty = await queryRows<{ id: string; kind: string; reference: string }>(
    executor,
    sql`select t.id, t.kind, t.reference from ledger_transactions t
        where ${txWhere} and not exists (select 1 from ledger_entries e where e.transaction_id = t.id)
        order by t.id`,
  );
  for (const r of empty) violations.push(`transaction ${r.id} (${r.kind} ${r.reference}) has no entries`);

  const strays = await queryRows<{ id: string; kind: string; entry_id: string }>(
    executor,
    sql`select t.id, t.kind, e.id as entry_id
        from ledger_transactions t join ledger_entries e on e.transaction_id = t.id join ledger_accounts a on a.id = e.account_id
        where ${txWhere} and (e.game_id <> t.game_id or a.game_id <> t.game_id)
        order by e.id`,
  );
  for (const r of strays)
    violations.push(`entry ${r.entry_id} of transaction ${r.id} (${r.kind}) is on another game's account`);

  const outOfStep = await queryRows<{
    id: string;
    kind: string;
    currency: string;
    balance_minor: unknown;
    entries: unknown;
  }>(
    executor,
    sql`select a.id, a.kind, a.currency, a.balance_minor + coalesce(b.total, 0) as balance_minor, coalesce(e.total, 0) as entries
        from ledger_accounts a
        left join lateral (select sum(balance_minor)::bigint as total from ledger_balance_buckets where account_id = a.id) b on true
        left join lateral (select sum(amount_minor)::bigint as total from ledger_entries where account_id = a.id) e on true
        where ${accountWhere} and a.balance_minor + coalesce(b.total, 0) <> coalesce(e.total, 0)
        order by a.id`,
  );
  for (const r of outOfStep) {
    violations.push(
      `account ${r.id} (${r.kind} ${r.currency}) has balance ${n(r.balance_minor)} but its entries sum to ${n(r.entries)}`,
    );
  }

  const negative = await queryRows<{ id: string; player_id: string; currency: string; balance_minor: unknown }>(
    executor,
    sql`select a.id, a.player_id, a.currency, a.balance_minor from ledger_accounts a
        where ${accountWhere} and a.kind = 'player_wallet' and a.balance_minor < 0 order by a.id`,
  );
  for (const r of negative)
    violations.push(`wallet ${r.id} of player ${r.player_id} is below zero: ${n(r.balance_minor)} ${r.currency}`);

  const purchases = await queryRows<Record<string, unknown>>(
    executor,
    sql`select t.purchase_id,
          count(*) filter (where t.kind = 'sale') as sale_legs,
          coalesce(sum(e.amount_minor) filter (where t.kind = 'sale' and a.kind = 'acquirer_receivable'), 0)::bigint as sale_amount,
          coalesce(-sum(e.amount_minor) filter (where t.kind = 'sale' and a.kind = 'platform_revenue'), 0)::bigint as sale_fee,
          coalesce(-sum(e.amount_minor) filter (where t.kind = 'sale' and a.kind = 'game_payable'), 0)::bigint as sale_net,
          coalesce(-sum(e.amount_minor) filter (where t.kind <> 'sale' and a.kind = 'acquirer_receivable'), 0)::bigint as reversed_amount,
          coalesce(sum(e.amount_minor) filter (where t.kind <> 'sale' and a.kind = 'platform_revenue'), 0)::bigint as reversed_fee,
          coalesce(sum(e.amount_minor) filter (where t.kind <> 'sale' and a.kind = 'game_payable'), 0)::bigint as reversed_net
        from ledger_transactions t join ledger_entries e on e.transaction_id = t.id join ledger_accounts a on a.id = e.account_id
        where ${txWhere} and t.purchase_id is not null and t.kind in ('sale', 'refund', 'dispute')
        group by t.purchase_id order by t.purchase_id`,
  );
  for (const r of purchases) {
    const id = r.purchase_id as string;
    const [amount, fee, net] = [n(r.sale_amount), n(r.sale_fee), n(r.sale_net)];
    const [rAmount, rFee, rNet] = [n(r.reversed_amount), n(r.reversed_fee), n(r.reversed_net)];
    if (n(r.sale_legs) === 0) {
      violations.push(`purchase ${id} has refunds or disputes but no sale`);
      continue;
    }
    if (fee < 0 || net < 0 || fee + net !== amount)
      violations.push(`purchase ${id} sale of ${amount} splits into fee ${fee} and net ${net}`);
    if (rAmount < 0 || rFee < 0 || rNet < 0)
      violations.push(`purchase ${id} has a negative reversal (amount ${rAmount}, fee ${rFee}, net ${rNet})`);
    if (rAmount > amount)
      violations.push(`purchase ${id} refunds and disputes total ${rAmount}, more than the sale of ${amount}`);
    if (rFee > fee) violations.push(`purchase ${id} returned fee ${rFee}, more than the sale fee ${fee}`);
    if (rNet > net) violations.push(`purchase ${id} returned net ${rNet}, more than the sale net ${net}`);
    if (rAmount === amount && (rFee !== fee || rNet !== net)) {
      violations.push(`purchase ${id} is fully reversed but returned fee ${rFee} and net ${rNet} of ${fee} and ${net}`);
    }
  }

  const spends = await queryRows<Record<string, unknown>>(
    executor,
    sql`select t.purchase_id,
          coalesce(-sum(e.amount_minor) filter (where t.kind = 'wallet_spend'), 0)::bigint as spent,
          coalesce(sum(e.amount_minor) filter (where t.kind = 'wallet_spend_reversal'), 0)::bigint as returned
        from ledger_transactions t join ledger_entries e on e.transaction_id = t.id join ledger_accounts a on a.id = e.account_id
        where ${txWhere} and t.purchase_id is not null and t.kind in ('wallet_spend', 'wallet_spend_reversal') and a.kind = 'player_wallet'
        group by t.purchase_id
        having coalesce(sum(e.amount_minor) filter (where t.kind = 'wallet_spend_reversal'), 0)
             > coalesce(-sum(e.amount_minor) filter (where t.kind = 'wallet_spend'), 0)
        order by t.purchase_id`,
  );
  for (const r of spends)
    violations.push(
      `purchase ${r.purchase_id as string} gave back ${n(r.returned)} units, more than the ${n(r.spent)} it spent`,
    );

  return violations;
}

/** checkLedger over one game, for its developer and operators (the ledger query's health line). */
export async function checkGameLedger(ctx: ServiceContext, gameId: string): Promise<string[]> {
  const game = await loadLedgerGame(ctx, gameId);
  return checkLedger(ctx.deps.db, { gameId: game.id });
}
