-- A purchase paid from the player's wallet (game currency, no card, no acquirer) in one round trip
-- and one commit (issue 18): createPurchase's buyWithWallet (src/modules/purchases/wallet-purchase.ts)
-- calls wallet_purchase() as one statement after its one context read and the fraud decision.

-- Game currency spent from a player's wallet: credit player_wallet, debit currency_spent. Once per
-- reference. The wallet row's update is guarded (balance >= amount), so concurrent spends never take it
-- below zero. Lock order as in post.ts: the wallet row before the shared account's bucket. outcome:
--   posted              balance_minor: the wallet's balance after it
--   insufficient_funds  balance_minor: the balance there is (0 without a wallet); nothing written
--   duplicate           the reference was spent before; nothing written, balance_minor: the balance now
CREATE FUNCTION ledger_post_wallet_spend(
  p_game_id uuid, p_player_id uuid, p_currency text, p_amount_minor bigint,
  p_reference text, p_purchase_id uuid, p_reason text,
  OUT outcome text, OUT balance_minor bigint
)
LANGUAGE plpgsql AS $$
DECLARE
  v_wallet uuid;
  v_spent uuid;
  v_posting uuid;
BEGIN
  IF p_amount_minor IS NULL OR p_amount_minor <= 0 THEN
    RAISE EXCEPTION 'a wallet spend of % is not positive', p_amount_minor USING ERRCODE = '22023';
  END IF;
  SELECT a.id INTO v_wallet FROM ledger_accounts AS a
   WHERE a.game_id = p_game_id AND a.player_id = p_player_id AND a.kind = 'player_wallet' AND a.currency = p_currency;
  IF EXISTS (SELECT 1 FROM ledger_transactions AS t WHERE t.kind = 'wallet_spend' AND t.reference = p_reference) THEN
    outcome := 'duplicate';
    SELECT a.balance_minor INTO balance_minor FROM ledger_accounts AS a WHERE a.id = v_wallet;
    balance_minor := coalesce(balance_minor, 0);
    RETURN;
  END IF;
  UPDATE ledger_accounts AS a SET balance_minor = a.balance_minor - p_amount_minor
   WHERE a.id = v_wallet AND a.balance_minor >= p_amount_minor
  RETURNING a.balance_minor INTO balance_minor;
  IF NOT FOUND THEN
    outcome := 'insufficient_funds';
    SELECT a.balance_minor INTO balance_minor FROM ledger_accounts AS a WHERE a.id = v_wallet;
    balance_minor := coalesce(balance_minor, 0);
    RETURN;
  END IF;
  v_spent := (ledger_shared_accounts(p_game_id, p_currency, ARRAY['currency_spent']))[1];
  -- The wallet row is locked: another spend under this reference (of this wallet) waits behind it and
  -- then finds this one, so the insert below never meets a conflict.
  INSERT INTO ledger_transactions (id, kind, reference, game_id, purchase_id, player_id, reason, created_at)
  VALUES (gen_random_uuid(), 'wallet_spend', p_reference, p_game_id, p_purchase_id, p_player_id, p_reason, now())
  RETURNING id INTO v_posting;
  INSERT INTO ledger_entries (id, transaction_id, account_id, currency, amount_minor, game_id, created_at)
  VALUES (gen_random_uuid(), v_posting, v_wallet, p_currency, -p_amount_minor, p_game_id, now()),
         (gen_random_uuid(), v_posting, v_spent, p_currency, p_amount_minor, p_game_id, now());
  INSERT INTO ledger_balance_buckets AS b (account_id, bucket, balance_minor)
  VALUES (v_spent, (txid_current() % 32)::smallint, p_amount_minor)
  ON CONFLICT (account_id, bucket) DO UPDATE SET balance_minor = b.balance_minor + excluded.balance_minor;
  outcome := 'posted';
END
$$;
--> statement-breakpoint

-- The whole wallet purchase as one statement, one implicit transaction: under the buyer's and the
-- recipient's advisory locks (lockPlayers' keys, in its order) it answers with the purchase already
-- made under the idempotency key if there is one, checks the item's limits, takes stock (giving back
-- lapsed holds of the item first when too few units are left), spends the price from the buyer's
-- wallet (ledger_post_wallet_spend), inserts the purchase PROCESSING and its risk event, then settles
-- it (settle_purchase: SUCCEEDED, the grant, the receipt, the events). outcome:
--   created             purchase: SUCCEEDED, events: what outbox_enqueue wrote; or FAILED risk_blocked
--                       when the fraud rules blocked it (then no limit is checked, no stock taken and
--                       nothing spent)
--   settle_failed       the purchase and its spend are written but settling it failed (error: why):
--                       it stays PROCESSING for recovery, as a phase 3 that failed after phase 1
--   duplicate           a purchase with this key exists: it is returned, nothing written
--   out_of_stock        detail: the units left
--   item_not_found      the item is gone
--   durable_quantity, already_owned, max_per_player (detail: the units counted): the item's limits
--   insufficient_funds  detail: the buyer's balance
-- Every refusal returns with nothing written but the release of lapsed holds (what the stock-hold
-- sweep would write anyway): the stock a refused spend took is given back. Lock order as today's
-- transaction and failPurchase: the item's row, then the wallet's, then the ledger's buckets. The limit
-- checks and the stock are those of purchase_phase_one (0017) and its status lists (phase-one.test.ts
-- checks both files against purchase-state.ts).
CREATE FUNCTION wallet_purchase(
  p_purchase jsonb,
  p_risk_event jsonb,
  p_lock_keys jsonb,
  p_now timestamptz,
  p_item_kind text,
  p_max_per_player integer,
  p_receipt text,
  p_grant jsonb,
  p_events jsonb,
  OUT outcome text,
  OUT detail bigint,
  OUT purchase purchases,
  OUT events jsonb,
  OUT error text
) LANGUAGE plpgsql AS $$
DECLARE
  v_new purchases := jsonb_populate_record(null::purchases, p_purchase);
  v_key text;
  v_units bigint;
  v_in_flight bigint;
  v_owned integer;
  v_found boolean;
  v_stock integer;
  v_taken boolean := false;
  v_released integer;
  v_given bigint;
  v_spend record;
  v_settled record;
BEGIN
  events := '[]'::jsonb;
  FOR v_key IN SELECT k FROM jsonb_array_elements_text(p_lock_keys) WITH ORDINALITY AS t(k, n) ORDER BY n LOOP
    PERFORM pg_advisory_xact_lock(hashtextextended(v_key, 0));
  END LOOP;

  SELECT * INTO purchase FROM purchases
    WHERE game_id = v_new.game_id AND player_id = v_new.player_id AND idempotency_key = v_new.idempotency_key;
  IF FOUND THEN
    outcome := 'duplicate';
    RETURN;
  END IF;

  v_new.path := 'wallet';
  v_new.card_id := NULL;
  v_new.action_reason := NULL;
  v_new.expires_at := NULL;
  v_new.stock_hold_until := NULL;
  IF v_new.risk_decision = 'BLOCK' THEN
    v_new.status := 'FAILED';
    v_new.decline_code := 'risk_blocked';
    v_new.processing_at := NULL;
  ELSE
    IF p_item_kind = 'DURABLE' AND v_new.quantity <> 1 THEN
      outcome := 'durable_quantity';
      RETURN;
    END IF;
    IF p_item_kind = 'DURABLE' OR p_max_per_player IS NOT NULL THEN
      SELECT coalesce(sum(quantity), 0),
             coalesce(sum(quantity) FILTER (WHERE status IN ('PROCESSING', 'REQUIRES_CONFIRMATION', 'REQUIRES_ACTION')), 0)
        INTO v_units, v_in_flight
        FROM purchases
        WHERE game_id = v_new.game_id AND recipient_id = v_new.recipient_id AND item_id = v_new.item_id
          AND status IN ('PROCESSING', 'SUCCEEDED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'REQUIRES_CONFIRMATION', 'REQUIRES_ACTION');
      IF p_item_kind = 'DURABLE' THEN
        SELECT coalesce(max(quantity), 0) INTO v_owned FROM inventory_entries
          WHERE game_id = v_new.game_id AND player_id = v_new.recipient_id AND item_id = v_new.item_id;
        IF v_owned > 0 OR v_in_flight > 0 THEN
          outcome := 'already_owned';
          RETURN;
        END IF;
      END IF;
      IF p_max_per_player IS NOT NULL AND v_units + v_new.quantity > p_max_per_player THEN
        outcome := 'max_per_player';
        detail := v_units;
        RETURN;
      END IF;
    END IF;

    UPDATE items SET stock = stock - v_new.quantity WHERE id = v_new.item_id AND stock >= v_new.quantity;
    v_taken := FOUND;
    IF NOT v_taken THEN
      SELECT true, stock INTO v_found, v_stock FROM items WHERE id = v_new.item_id;
      IF v_found IS NULL THEN
        outcome := 'item_not_found';
        RETURN;
      END IF;
      IF v_stock IS NOT NULL THEN
        WITH lapsed AS (
          SELECT id FROM purchases
            WHERE status IN ('REQUIRES_CONFIRMATION', 'REQUIRES_ACTION') AND NOT stock_released
              AND stock_hold_until <= p_now AND item_id = v_new.item_id
            LIMIT 500
            FOR UPDATE SKIP LOCKED
        ), released AS (
          UPDATE purchases SET stock_released = true
            WHERE id IN (SELECT id FROM lapsed) AND status IN ('REQUIRES_CONFIRMATION', 'REQUIRES_ACTION')
            RETURNING quantity
        )
        SELECT count(*), coalesce(sum(quantity), 0) INTO v_released, v_given FROM released;
        IF v_released = 0 THEN
          outcome := 'out_of_stock';
          detail := v_stock;
          RETURN;
        END IF;
        UPDATE items SET stock = stock + v_given WHERE id = v_new.item_id AND stock IS NOT NULL;
        UPDATE items SET stock = stock - v_new.quantity WHERE id = v_new.item_id AND stock >= v_new.quantity;
        IF NOT FOUND THEN
          SELECT stock INTO v_stock FROM items WHERE id = v_new.item_id;
          outcome := 'out_of_stock';
          detail := v_stock;
          RETURN;
        END IF;
        v_taken := true;
      END IF;
    END IF;

    SELECT s.outcome, s.balance_minor INTO v_spend
      FROM ledger_post_wallet_spend(v_new.game_id, v_new.player_id, v_new.currency, v_new.amount_minor,
        v_new.id::text, v_new.id, 'purchase') AS s;
    IF v_spend.outcome <> 'posted' THEN
      -- too little in the wallet (a spend under a new purchase's id is never a duplicate): the units go back
      IF v_taken THEN
        UPDATE items SET stock = stock + v_new.quantity WHERE id = v_new.item_id AND stock IS NOT NULL;
      END IF;
      outcome := 'insufficient_funds';
      detail := v_spend.balance_minor;
      RETURN;
    END IF;

    v_new.status := 'PROCESSING';
    v_new.decline_code := NULL;
    v_new.processing_at := p_now;
  END IF;

  INSERT INTO purchases (
    id, created_at, updated_at, game_id, player_id, recipient_id, item_id, quantity, unit_price_minor,
    amount_minor, currency, fee_bps, idempotency_key, status, path, card_id, decline_code, risk_decision,
    risk_score, risk_rules, action_reason, expires_at, stock_hold_until, processing_at
  ) VALUES (
    v_new.id, v_new.created_at, v_new.updated_at, v_new.game_id, v_new.player_id, v_new.recipient_id,
    v_new.item_id, v_new.quantity, v_new.unit_price_minor, v_new.amount_minor, v_new.currency, v_new.fee_bps,
    v_new.idempotency_key, v_new.status, v_new.path, v_new.card_id, v_new.decline_code, v_new.risk_decision,
    v_new.risk_score, v_new.risk_rules, v_new.action_reason, v_new.expires_at, v_new.stock_hold_until,
    v_new.processing_at
  )
  RETURNING * INTO purchase;

  INSERT INTO risk_events (id, game_id, player_id, purchase_id, kind, decision, score, rules_fired, card_fingerprint)
  SELECT e.id, e.game_id, e.player_id, purchase.id, e.kind, e.decision, e.score, e.rules_fired, e.card_fingerprint
    FROM jsonb_populate_record(null::risk_events, p_risk_event) AS e;

  outcome := 'created';
  IF purchase.status <> 'PROCESSING' THEN
    RETURN;
  END IF;

  -- Phase 3 in a subtransaction of its own: a settlement that fails leaves the purchase PROCESSING with
  -- its spend, for recovery to finish (as when it was a transaction of its own).
  BEGIN
    SELECT s.purchase, s.events INTO v_settled
      FROM settle_purchase(purchase.id, NULL, p_now, p_receipt, NULL, NULL, p_grant, p_events) AS s;
    purchase := v_settled.purchase;
    events := v_settled.events;
  EXCEPTION WHEN OTHERS THEN
    outcome := 'settle_failed';
    error := SQLERRM;
  END;
END
$$;
--> statement-breakpoint
-- Plans made with this purchase's values (as purchase_phase_one, 0017).
ALTER FUNCTION wallet_purchase(jsonb, jsonb, jsonb, timestamptz, text, integer, text, jsonb, jsonb)
  SET plan_cache_mode = force_custom_plan;
