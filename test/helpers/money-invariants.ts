// The promises of the money path, checked in the database after a crash or a chaos run: each check
// returns every violation it finds (an empty list means the promise held), so a failure names them all.
import type pg from 'pg';
import { checkLedger } from '../../src/modules/ledger/index.js';
import type { Database } from '../../src/db/client.js';

type Queryable = Pick<pg.Pool, 'query'>;

/** Statuses of a purchase that was paid (refunds keep the charge; it only gives money back). */
const PAID = `('SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED')`;

export interface InvariantScope {
  readonly gameId: string;
  /**
   * Also count charges of the acquirer that belong to no purchase at all, made at or after this time
   * (only meaningful on a database that this test alone uses).
   */
  readonly orphanChargesSince?: Date;
}

export interface InvariantReport {
  readonly violations: string[];
  readonly counts: Record<string, number>;
}

/**
 * Checks, for one game: nothing PROCESSING; every approved, not voided acquirer charge of its purchases
 * (key = purchase id or id:N) belongs to exactly one paid purchase that names it; every paid card purchase
 * has that living charge; every purchase without one is not paid; every paid purchase has its fulfilment
 * (inventory grant or wallet credit) and its ledger posting (sale or wallet spend); inventories and wallets
 * equal what was bought less what was used; FAILED and CANCELED purchases moved nothing; checkLedger is empty.
 */
export async function checkMoneyInvariants(
  pool: Queryable,
  db: Database,
  scope: InvariantScope,
): Promise<InvariantReport> {
  const violations: string[] = [];
  const q = async <T extends Record<string, any>>(text: string, params: unknown[] = [scope.gameId]): Promise<T[]> =>
    (await pool.query(text, params)).rows as T[];

  const statuses = await q<{ status: string; n: number }>(
    `select status, count(*)::int as n from purchases where game_id = $1 group by status`,
  );
  const counts: Record<string, number> = Object.fromEntries(statuses.map((s) => [s.status, s.n]));

  for (const p of await q<{ id: string; status: string }>(
    `select id, status from purchases where game_id = $1 and status = 'PROCESSING'`,
  )) {
    violations.push(`purchase ${p.id} is still PROCESSING`);
  }

  // Charges of this game's purchases: the charge key is the purchase id, or id:N for a later attempt.
  const charges = await q<{
    charge_id: string;
    key: string;
    status: string;
    voided: boolean;
    amount_minor: number;
    purchase_id: string;
    purchase_status: string;
    named: string | null;
    path: string;
    purchase_amount: number;
  }>(
    `select c.id as charge_id, c.idempotency_key as key, c.status, c.voided_at is not null as voided, c.amount_minor,
            p.id as purchase_id, p.status as purchase_status, p.acquirer_charge_id as named, p.path, p.amount_minor as purchase_amount
       from acquirer_charges c
       join purchases p on p.id::text = split_part(c.idempotency_key, ':', 1)
      where p.game_id = $1`,
  );
  const living = charges.filter((c) => c.status === 'approved' && !c.voided);
  counts.charges = charges.length;
  counts.livingCharges = living.length;
  const livingByPurchase = new Map<string, typeof living>();
  for (const c of living) livingByPurchase.set(c.purchase_id, [...(livingByPurchase.get(c.purchase_id) ?? []), c]);
  for (const [purchaseId, list] of livingByPurchase) {
    if (list.length > 1)
      violations.push(
        `purchase ${purchaseId} has ${list.length} living charges: ${list.map((c) => c.charge_id).join(', ')} (charged more than once)`,
      );
    for (const c of list) {
      if (!['SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED'].includes(c.purchase_status)) {
        violations.push(
          `charge ${c.charge_id} (${c.amount_minor}) of purchase ${purchaseId} is approved and not voided, but the purchase is ${c.purchase_status} (paid, not delivered)`,
        );
      } else if (c.named !== c.charge_id) {
        violations.push(
          `charge ${c.charge_id} of purchase ${purchaseId} is living but the purchase names charge ${c.named}`,
        );
      }
      if (c.amount_minor !== c.purchase_amount)
        violations.push(
          `charge ${c.charge_id} is ${c.amount_minor} but purchase ${purchaseId} costs ${c.purchase_amount}`,
        );
    }
  }

  if (scope.orphanChargesSince) {
    const orphans = await q<{ id: string; key: string }>(
      `select c.id, c.idempotency_key as key from acquirer_charges c
        where c.created_at >= $1 and c.status = 'approved' and c.voided_at is null
          and not exists (select 1 from purchases p where p.id::text = split_part(c.idempotency_key, ':', 1))`,
      [scope.orphanChargesSince],
    );
    for (const o of orphans)
      violations.push(`charge ${o.id} (key ${o.key}) is approved and not voided but belongs to no purchase`);
  }

  // Paid purchases: a card one has its living charge; each has its fulfilment and its ledger posting.
  const paid = await q<{
    id: string;
    status: string;
    path: string;
    kind: string;
    quantity: number;
    amount_minor: number;
    charge_id: string | null;
    grants: number;
    sale: number;
    credit: number;
    spend: number;
  }>(
    `select p.id, p.status, p.path, i.kind, p.quantity, p.amount_minor, p.acquirer_charge_id as charge_id,
            (select count(*)::int from inventory_events e where e.purchase_id = p.id and e.kind = 'grant') as grants,
            (select count(*)::int from ledger_transactions t where t.purchase_id = p.id and t.kind = 'sale') as sale,
            (select count(*)::int from ledger_transactions t where t.purchase_id = p.id and t.kind = 'wallet_credit') as credit,
            (select count(*)::int from ledger_transactions t where t.purchase_id = p.id and t.kind = 'wallet_spend') as spend
       from purchases p join items i on i.id = p.item_id
      where p.game_id = $1 and p.status in ${PAID}`,
  );
  for (const p of paid) {
    if (p.path !== 'wallet') {
      if (!livingByPurchase.has(p.id) && p.status !== 'REFUNDED')
        violations.push(`purchase ${p.id} is ${p.status} (card) but no living charge pays for it`);
      if (p.sale !== 1) violations.push(`purchase ${p.id} is ${p.status} (card) with ${p.sale} sale postings, not 1`);
    } else if (p.spend !== 1) {
      violations.push(`purchase ${p.id} is ${p.status} (wallet) with ${p.spend} wallet spends, not 1`);
    }
    if (p.kind === 'CURRENCY_PACK') {
      if (p.credit !== 1)
        violations.push(`purchase ${p.id} (currency pack) is ${p.status} with ${p.credit} wallet credits, not 1`);
    } else if (p.grants !== 1) {
      violations.push(`purchase ${p.id} (${p.kind}) is ${p.status} with ${p.grants} inventory grants, not 1`);
    }
  }

  // Purchases that were not paid moved nothing.
  const unpaid = await q<{ id: string; status: string; moved: number }>(
    `select p.id, p.status,
            (select count(*)::int from inventory_events e where e.purchase_id = p.id)
          + (select count(*)::int from ledger_transactions t where t.purchase_id = p.id and t.kind in ('sale', 'wallet_credit'))
          + (select count(*)::int from ledger_transactions t where t.purchase_id = p.id and t.kind = 'wallet_spend'
               and not exists (select 1 from ledger_transactions r where r.purchase_id = p.id and r.kind = 'wallet_spend_reversal')) as moved
       from purchases p where p.game_id = $1 and p.status not in ${PAID}`,
  );
  for (const p of unpaid)
    if (p.moved > 0) violations.push(`purchase ${p.id} is ${p.status} but has ${p.moved} fulfilment or ledger rows`);

  // Inventories: what was bought (a DURABLE once) less what was used and revoked, per player and item.
  const inventory = await q<{
    player_id: string;
    item_id: string;
    kind: string;
    bought: number;
    events: number;
    held: number;
  }>(
    `with bought as (
        select p.recipient_id as player_id, p.item_id,
               case when i.kind = 'DURABLE' then least(1, sum(p.quantity)) else sum(p.quantity) end::int as bought
          from purchases p join items i on i.id = p.item_id
         where p.game_id = $1 and p.status in ${PAID} and i.kind <> 'CURRENCY_PACK'
         group by p.recipient_id, p.item_id, i.kind),
      granted as (
        select player_id, item_id, sum(case when kind = 'grant' then quantity else 0 end)::int as granted,
               sum(case when kind = 'grant' then quantity else -quantity end)::int as events
          from inventory_events where game_id = $1 group by player_id, item_id)
     select coalesce(b.player_id, g.player_id, e.player_id) as player_id, coalesce(b.item_id, g.item_id, e.item_id) as item_id,
            i.kind, coalesce(b.bought, 0) as bought, coalesce(g.events, 0) as events, coalesce(e.quantity, 0) as held,
            coalesce(g.granted, 0) as granted
       from bought b
       full join granted g on g.player_id = b.player_id and g.item_id = b.item_id
       full join (select * from inventory_entries where game_id = $1) e
              on e.player_id = coalesce(b.player_id, g.player_id) and e.item_id = coalesce(b.item_id, g.item_id)
       join items i on i.id = coalesce(b.item_id, g.item_id, e.item_id)`,
  );
  for (const r of inventory as ((typeof inventory)[number] & { granted: number })[]) {
    if (r.kind !== 'DURABLE' && r.granted !== r.bought)
      violations.push(`player ${r.player_id} was granted ${r.granted} of item ${r.item_id} but bought ${r.bought}`);
    if (r.kind === 'DURABLE' && r.bought > 0 && r.granted < 1)
      violations.push(`player ${r.player_id} bought durable ${r.item_id} but was never granted it`);
    if (r.events !== r.held)
      violations.push(
        `player ${r.player_id} holds ${r.held} of item ${r.item_id} but its events add up to ${r.events}`,
      );
  }

  // Wallets: currency packs bought less what wallet purchases spent, and what refunds moved back.
  const wallets = await q<{ player_id: string; currency: string; expected: number; balance: number }>(
    `with moves as (
        select p.recipient_id as player_id, i.grants_currency as currency, (i.grants_amount_minor * p.quantity)::bigint as units
          from purchases p join items i on i.id = p.item_id
         where p.game_id = $1 and p.status in ${PAID} and i.kind = 'CURRENCY_PACK'
        union all
        select p.player_id, p.currency, -p.amount_minor
          from purchases p where p.game_id = $1 and p.path = 'wallet'
           -- a wallet purchase given up in settlement spent too; its reversal (below) gave it back
           and (p.status in ${PAID} or p.decline_code = 'settlement_failed')
        union all
        -- what refunds moved: spends given back, currency packs clawed back
        select a.player_id, a.currency, e.amount_minor
          from ledger_entries e join ledger_transactions t on t.id = e.transaction_id join ledger_accounts a on a.id = e.account_id
         where t.game_id = $1 and a.kind = 'player_wallet' and t.kind in ('wallet_spend_reversal', 'wallet_clawback')),
      expected as (select player_id, currency, sum(units)::bigint as expected from moves group by player_id, currency)
     select coalesce(x.player_id, a.player_id) as player_id, coalesce(x.currency, a.currency) as currency,
            coalesce(x.expected, 0) as expected, coalesce(a.balance_minor, 0) as balance
       from expected x
       full join (select * from ledger_accounts where game_id = $1 and kind = 'player_wallet') a
              on a.player_id = x.player_id and a.currency = x.currency`,
  );
  for (const w of wallets) {
    if (w.expected !== w.balance)
      violations.push(`wallet of player ${w.player_id} holds ${w.balance} ${w.currency}; purchases say ${w.expected}`);
  }

  for (const v of await checkLedger(db, { gameId: scope.gameId })) violations.push(`ledger: ${v}`);
  return { violations, counts };
}

/** How many purchases of the game are PROCESSING now. */
export async function processingCount(pool: Queryable, gameId: string): Promise<number> {
  const { rows } = await pool.query(
    `select count(*)::int as n from purchases where game_id = $1 and status = 'PROCESSING'`,
    [gameId],
  );
  return rows[0].n as number;
}
