-- Phase 3 of a purchase in one round trip (issue 18): settle_purchase() marks a PROCESSING purchase
-- SUCCEEDED and, in the same implicit transaction, posts the sale, grants what was bought and
-- enqueues the outbox events. It is composed of one function per module's write, which the modules'
-- own TypeScript verbs call too, so that each rule is written once:
--   ledger_shared_accounts     a game's shared ledger accounts in a currency, opened when missing (ledger)
--   ledger_post_sale           a card sale's posting (ledger; postSale)
--   ledger_post_wallet_credit  game currency credited to a wallet (ledger; the currency pack's grant)
--   inventory_grant            units of an item granted once per reference (inventory; grantItem)
--   outbox_enqueue             events numbered per aggregate (webhooks; enqueueEvents)

-- The deferred balance check ran once per ledger entry (three times for a sale, each an index scan
-- and an aggregate at commit). At commit every entry is in place, so the rows of one posting, which
-- come one after another in the trigger queue, need the check once: the first remembers the ledger
-- transaction it checked (a transaction-local setting) and the next ones of the same transaction skip
-- it. Any insert into ledger_entries forgets it first (the statement trigger below), so entries added
-- after a check (SET CONSTRAINTS … IMMEDIATE midway) are checked again. plan_cache_mode as in 0013.
CREATE OR REPLACE FUNCTION ledger_transaction_balanced() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  IF current_setting('coinslot.ledger_checked', true) = NEW.transaction_id::text THEN
    RETURN NULL;
  END IF;
  IF EXISTS (
    SELECT 1 FROM ledger_entries WHERE transaction_id = NEW.transaction_id GROUP BY currency HAVING sum(amount_minor) <> 0
  ) THEN
    RAISE EXCEPTION 'ledger transaction % does not sum to zero', NEW.transaction_id USING ERRCODE = '23514';
  END IF;
  PERFORM set_config('coinslot.ledger_checked', NEW.transaction_id::text, true);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION ledger_balance_check_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('coinslot.ledger_checked', '', true);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_balance_check_reset BEFORE INSERT ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_balance_check_reset();
--> statement-breakpoint

-- The ids of a game's shared accounts (player_id null) in a currency, in the order of p_kinds, opening
-- the missing ones with a zero balance. They never change once opened: callers may keep them, once
-- the transaction that read them committed (an account opened by a transaction that rolled back never existed).
CREATE FUNCTION ledger_shared_accounts(p_game_id uuid, p_currency text, p_kinds text[]) RETURNS uuid[]
LANGUAGE plpgsql AS $$
DECLARE
  v_ids uuid[];
BEGIN
  SELECT array_agg(a.id ORDER BY k.ord) INTO v_ids
    FROM unnest(p_kinds) WITH ORDINALITY AS k(kind, ord)
    JOIN ledger_accounts a ON a.game_id = p_game_id AND a.player_id IS NULL AND a.kind = k.kind AND a.currency = p_currency;
  IF cardinality(v_ids) = cardinality(p_kinds) THEN
    RETURN v_ids;
  END IF;
  -- In a fixed order, so that two transactions opening the same accounts wait instead of deadlocking.
  INSERT INTO ledger_accounts (id, kind, game_id, player_id, currency)
  SELECT gen_random_uuid(), k.kind, p_game_id, NULL, p_currency FROM unnest(p_kinds) AS k(kind) ORDER BY k.kind COLLATE "C"
  ON CONFLICT DO NOTHING;
  SELECT array_agg(a.id ORDER BY k.ord) INTO v_ids
    FROM unnest(p_kinds) WITH ORDINALITY AS k(kind, ord)
    JOIN ledger_accounts a ON a.game_id = p_game_id AND a.player_id IS NULL AND a.kind = k.kind AND a.currency = p_currency;
  RETURN v_ids;
END
$$;
--> statement-breakpoint

-- A card sale of A with fee F: debit acquirer_receivable A, credit game_payable A−F and
-- platform_revenue F (a zero leg is left out). Once per purchase: a repeat writes nothing and answers
-- the first posting (posted = false). The shared balances go to the database transaction's own
-- bucket (txid modulo 32, as post.ts does), in account order. p_accounts: [receivable, payable,
-- revenue] as the caller keeps them, or null to look them up; the accounts used come back, to keep.
CREATE FUNCTION ledger_post_sale(
  p_game_id uuid, p_purchase_id uuid, p_currency text, p_amount_minor bigint, p_fee_minor bigint, p_accounts uuid[],
  OUT posting_accounts uuid[], OUT posting_id uuid, OUT posted boolean
)
LANGUAGE plpgsql AS $$
BEGIN
  IF p_amount_minor IS NULL OR p_fee_minor IS NULL OR p_amount_minor <= 0 OR p_fee_minor < 0 OR p_fee_minor > p_amount_minor THEN
    RAISE EXCEPTION 'a sale of % with a fee of % does not split', p_amount_minor, p_fee_minor USING ERRCODE = '22023';
  END IF;
  IF p_accounts IS NULL THEN
    posting_accounts := ledger_shared_accounts(p_game_id, p_currency, ARRAY['acquirer_receivable', 'game_payable', 'platform_revenue']);
  ELSIF cardinality(p_accounts) = 3 THEN
    posting_accounts := p_accounts;
  ELSE
    RAISE EXCEPTION 'a sale needs 3 accounts, got %', cardinality(p_accounts) USING ERRCODE = '22023';
  END IF;
  INSERT INTO ledger_transactions (id, kind, reference, game_id, purchase_id, created_at)
  VALUES (gen_random_uuid(), 'sale', p_purchase_id::text, p_game_id, p_purchase_id, now())
  ON CONFLICT (kind, reference) DO NOTHING
  RETURNING id INTO posting_id;
  posted := posting_id IS NOT NULL;
  IF NOT posted THEN
    SELECT t.id INTO posting_id FROM ledger_transactions AS t WHERE t.kind = 'sale' AND t.reference = p_purchase_id::text;
    RETURN;
  END IF;
  INSERT INTO ledger_entries (id, transaction_id, account_id, currency, amount_minor, game_id, created_at)
  SELECT gen_random_uuid(), posting_id, l.account_id, p_currency, l.amount_minor, p_game_id, now()
    FROM (VALUES (posting_accounts[1], p_amount_minor), (posting_accounts[2], p_fee_minor - p_amount_minor),
                 (posting_accounts[3], -p_fee_minor)) AS l(account_id, amount_minor)
   WHERE l.amount_minor <> 0;
  INSERT INTO ledger_balance_buckets AS b (account_id, bucket, balance_minor)
  SELECT l.account_id, (txid_current() % 32)::smallint, l.amount_minor
    FROM (VALUES (posting_accounts[1], p_amount_minor), (posting_accounts[2], p_fee_minor - p_amount_minor),
                 (posting_accounts[3], -p_fee_minor)) AS l(account_id, amount_minor)
   WHERE l.amount_minor <> 0
   ORDER BY l.account_id
  ON CONFLICT (account_id, bucket) DO UPDATE SET balance_minor = b.balance_minor + excluded.balance_minor;
END
$$;
--> statement-breakpoint

-- Game currency credited to a player's wallet: debit player_wallet, credit currency_issued. Once per
-- reference. The currency must be one the game defined. Lock order as in post.ts: the wallet row
-- before the shared account's bucket. Returns the wallet's balance after it, or null when the
-- reference was credited before (nothing written).
CREATE FUNCTION ledger_post_wallet_credit(
  p_game_id uuid, p_player_id uuid, p_currency text, p_amount_minor bigint,
  p_reference text, p_purchase_id uuid, p_reason text
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_issued uuid;
  v_wallet uuid;
  v_posting uuid;
  v_balance bigint;
BEGIN
  IF p_amount_minor IS NULL OR p_amount_minor <= 0 THEN
    RAISE EXCEPTION 'a wallet credit of % is not positive', p_amount_minor USING ERRCODE = '22023';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM game_currencies WHERE game_id = p_game_id AND code = p_currency) THEN
    RAISE EXCEPTION 'game % has no currency %', p_game_id, p_currency USING ERRCODE = '22023';
  END IF;
  v_issued := (ledger_shared_accounts(p_game_id, p_currency, ARRAY['currency_issued']))[1];
  SELECT id INTO v_wallet FROM ledger_accounts
   WHERE game_id = p_game_id AND player_id = p_player_id AND kind = 'player_wallet' AND currency = p_currency;
  IF v_wallet IS NULL THEN
    INSERT INTO ledger_accounts (id, kind, game_id, player_id, currency)
    VALUES (gen_random_uuid(), 'player_wallet', p_game_id, p_player_id, p_currency)
    ON CONFLICT DO NOTHING;
    SELECT id INTO v_wallet FROM ledger_accounts
     WHERE game_id = p_game_id AND player_id = p_player_id AND kind = 'player_wallet' AND currency = p_currency;
  END IF;
  INSERT INTO ledger_transactions (id, kind, reference, game_id, purchase_id, player_id, reason, created_at)
  VALUES (gen_random_uuid(), 'wallet_credit', p_reference, p_game_id, p_purchase_id, p_player_id, p_reason, now())
  ON CONFLICT (kind, reference) DO NOTHING
  RETURNING id INTO v_posting;
  IF v_posting IS NULL THEN
    RETURN NULL;
  END IF;
  UPDATE ledger_accounts SET balance_minor = balance_minor + p_amount_minor WHERE id = v_wallet
  RETURNING balance_minor INTO v_balance;
  INSERT INTO ledger_entries (id, transaction_id, account_id, currency, amount_minor, game_id, created_at)
  VALUES (gen_random_uuid(), v_posting, v_wallet, p_currency, p_amount_minor, p_game_id, now()),
         (gen_random_uuid(), v_posting, v_issued, p_currency, -p_amount_minor, p_game_id, now());
  INSERT INTO ledger_balance_buckets AS b (account_id, bucket, balance_minor)
  VALUES (v_issued, (txid_current() % 32)::smallint, -p_amount_minor)
  ON CONFLICT (account_id, bucket) DO UPDATE SET balance_minor = b.balance_minor + excluded.balance_minor;
  RETURN v_balance;
END
$$;
--> statement-breakpoint

-- Units of an item put in a player's inventory: the grant's event (once per player and reference)
-- and, only when that was new, the units added to the entry (a DURABLE stays at 1). No row back: the
-- reference was granted before.
CREATE FUNCTION inventory_grant(
  p_event_id uuid, p_game_id uuid, p_player_id uuid, p_item_id uuid, p_units integer, p_durable boolean,
  p_reference text, p_purchase_id uuid, p_at timestamptz
) RETURNS TABLE (quantity integer, updated_at timestamptz)
LANGUAGE sql AS $$
  WITH event AS (
    INSERT INTO inventory_events (id, game_id, player_id, item_id, kind, quantity, reference, purchase_id, created_at)
    VALUES (p_event_id, p_game_id, p_player_id, p_item_id, 'grant', p_units, p_reference, p_purchase_id, p_at)
    ON CONFLICT DO NOTHING
    RETURNING 1
  )
  INSERT INTO inventory_entries AS e (game_id, player_id, item_id, quantity, created_at, updated_at)
  SELECT p_game_id, p_player_id, p_item_id, p_units, p_at, p_at FROM event
  ON CONFLICT (game_id, player_id, item_id) DO UPDATE
    SET quantity = CASE WHEN p_durable THEN 1 ELSE e.quantity + excluded.quantity END,
        updated_at = excluded.updated_at
  RETURNING e.quantity, e.updated_at
$$;
--> statement-breakpoint

-- Events into the outbox, in the order given: [{id, gameId, type, aggregateId, payload, createdAt}].
-- Each aggregate's events are numbered after its last one: an advisory lock per aggregate (the
-- namespace 7301948), held until commit and taken in a fixed order, makes a concurrent change of the
-- same aggregate wait and number after these; every row of the insert sees the table as it was
-- before it, hence its ordinal among the aggregate's events of this call. An event of a game
-- without a webhook URL is kept as no_endpoint (never sent).
CREATE FUNCTION outbox_enqueue(p_events jsonb)
RETURNS TABLE (id text, game_id uuid, type text, aggregate_id text, sequence integer, status text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_aggregate text;
BEGIN
  FOR v_aggregate IN
    SELECT s.a FROM (SELECT DISTINCT ev->>'aggregateId' COLLATE "C" AS a FROM jsonb_array_elements(p_events) AS ev) AS s ORDER BY s.a
  LOOP
    PERFORM pg_advisory_xact_lock(7301948, hashtext(v_aggregate));
  END LOOP;
  RETURN QUERY
  INSERT INTO outbox_events AS o (id, game_id, type, aggregate_id, sequence, payload, created_at, status, next_attempt_at)
  SELECT v.event_id, v.event_game_id, v.event_type, v.event_aggregate_id,
         (SELECT coalesce(max(x.sequence), 0) FROM outbox_events x WHERE x.aggregate_id = v.event_aggregate_id) + v.n,
         v.payload, v.created_at,
         CASE WHEN g.has_endpoint THEN 'pending' ELSE 'no_endpoint' END,
         CASE WHEN g.has_endpoint THEN v.created_at END
    FROM (
      SELECT t.ev->>'id' AS event_id, (t.ev->>'gameId')::uuid AS event_game_id, t.ev->>'type' AS event_type,
             t.ev->>'aggregateId' AS event_aggregate_id,
             (row_number() OVER (PARTITION BY t.ev->>'aggregateId' ORDER BY t.ord))::integer AS n,
             t.ev->'payload' AS payload, (t.ev->>'createdAt')::timestamptz AS created_at
        FROM jsonb_array_elements(p_events) WITH ORDINALITY AS t(ev, ord)
    ) v
    CROSS JOIN LATERAL (
      SELECT EXISTS (SELECT 1 FROM games gm WHERE gm.id = v.event_game_id AND gm.webhook_url IS NOT NULL) AS has_endpoint
    ) g
  RETURNING o.id, o.game_id, o.type, o.aggregate_id, o.sequence, o.status;
END
$$;
--> statement-breakpoint

-- Phase 3 of a charged (or wallet-paid) purchase, in the caller's one statement: the purchase moves
-- PROCESSING → SUCCEEDED only if it is still PROCESSING (a request and the recovery loop racing finish
-- it once; the loser writes nothing and gets the row as it stands, settled = false). Then, in this
-- order: the sale's posting (p_fee_minor null: no card sale, e.g. a wallet purchase), the grant
-- (p_grant {"kind":"item","units","durable"} into the recipient's inventory, or
-- {"kind":"wallet","currency","amountMinor"} into the recipient's wallet) and the events
-- (outbox_enqueue; the first is the purchase's own, whose payload gets the row's updatedAt, known
-- only here). Returns the row, the sale's accounts (to keep) and the events written
-- [{id, aggregateId, sequence, status}].
CREATE FUNCTION settle_purchase(
  p_purchase_id uuid, p_acquirer_charge_id text, p_succeeded_at timestamptz, p_receipt text,
  p_fee_minor bigint, p_sale_accounts uuid[], p_grant jsonb, p_events jsonb
) RETURNS TABLE (purchase purchases, settled boolean, sale_accounts jsonb, events jsonb)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_row purchases;
  v_accounts uuid[];
  v_events jsonb;
BEGIN
  UPDATE purchases AS p
     SET status = 'SUCCEEDED', acquirer_charge_id = p_acquirer_charge_id, succeeded_at = p_succeeded_at,
         receipt = p_receipt, fee_minor = coalesce(p_fee_minor, 0), expires_at = NULL, recovery_lease_until = NULL,
         updated_at = date_trunc('milliseconds', now())
   WHERE p.id = p_purchase_id AND p.status = 'PROCESSING'
  RETURNING p.* INTO v_row;
  IF v_row.id IS NULL THEN
    RETURN QUERY SELECT p, false, NULL::jsonb, '[]'::jsonb FROM purchases AS p WHERE p.id = p_purchase_id;
    RETURN;
  END IF;
  IF p_fee_minor IS NOT NULL THEN
    SELECT s.posting_accounts INTO v_accounts
      FROM ledger_post_sale(v_row.game_id, v_row.id, v_row.currency, v_row.amount_minor, p_fee_minor, p_sale_accounts) AS s;
  END IF;
  IF p_grant->>'kind' = 'wallet' THEN
    PERFORM ledger_post_wallet_credit(v_row.game_id, v_row.recipient_id, p_grant->>'currency',
      (p_grant->>'amountMinor')::bigint, v_row.id::text, v_row.id, 'currency_pack');
  ELSIF p_grant->>'kind' = 'item' THEN
    PERFORM inventory_grant(gen_random_uuid(), v_row.game_id, v_row.recipient_id, v_row.item_id,
      (p_grant->>'units')::integer, (p_grant->>'durable')::boolean, v_row.id::text, v_row.id, now());
  ELSE
    RAISE EXCEPTION 'unknown grant %', p_grant USING ERRCODE = '22023';
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object('id', e.id, 'aggregateId', e.aggregate_id, 'sequence', e.sequence, 'status', e.status)), '[]'::jsonb)
    INTO v_events
    FROM outbox_enqueue(jsonb_set(p_events, '{0,payload,updatedAt}',
      to_jsonb(to_char(v_row.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))) AS e;
  RETURN QUERY SELECT v_row, true, to_jsonb(v_accounts), v_events;
END
$$;
