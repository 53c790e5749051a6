-- purchase_phase_one (0017) says, when it creates a purchase, how many units the item's stock has left
-- once this purchase took its own (detail; null for an item without a stock, or a purchase the fraud
-- rules blocked, which takes none). createPurchase answers with the item it read before phase 1 and
-- that stock, instead of reading the item again (issue 18: the answer from rows already in hand;
-- test/integration/purchases/round-trips.test.ts counts it). Only the two stock updates (RETURNING)
-- and the last assignment differ from 0017; the signature, the result type and every check are the
-- same, so a previous release calling it reads what it always read (detail was null on created).
-- CREATE OR REPLACE keeps no per-function setting: plans stay cached, as 0023 left them.
CREATE OR REPLACE FUNCTION purchase_phase_one(
  p_purchase jsonb,
  p_risk_event jsonb,
  p_lock_keys jsonb,
  p_now timestamptz,
  p_day_start timestamptz,
  p_item_kind text,
  p_max_per_player integer,
  p_allowance_currency text,
  p_one_tap_max_minor bigint,
  p_daily_cap_minor bigint,
  p_max_unconfirmed integer,
  OUT outcome text,
  OUT detail bigint,
  OUT purchase purchases
) LANGUAGE plpgsql AS $$
DECLARE
  v_new purchases := jsonb_populate_record(null::purchases, p_purchase);
  v_key text;
  v_units bigint;
  v_in_flight bigint;
  v_owned integer;
  v_spent bigint;
  v_one_tap boolean;
  v_waiting integer;
  v_found boolean;
  v_stock integer;
  v_released integer;
  v_given bigint;
  v_left integer;
BEGIN
  -- lockPlayers: the same keys in the same order as every other writer of these players' purchases.
  FOR v_key IN SELECT k FROM jsonb_array_elements_text(p_lock_keys) WITH ORDINALITY AS t(k, n) ORDER BY n LOOP
    PERFORM pg_advisory_xact_lock(hashtextextended(v_key, 0));
  END LOOP;

  SELECT * INTO purchase FROM purchases
    WHERE game_id = v_new.game_id AND player_id = v_new.player_id AND idempotency_key = v_new.idempotency_key;
  IF FOUND THEN
    outcome := 'duplicate';
    RETURN;
  END IF;

  IF v_new.risk_decision = 'BLOCK' THEN
    v_new.status := 'FAILED';
    v_new.path := 'one_tap';
    v_new.decline_code := 'risk_blocked';
    v_new.action_reason := NULL;
    v_new.expires_at := NULL;
    v_new.stock_hold_until := NULL;
    v_new.processing_at := NULL;
  ELSE
    -- assertWithinLimits: maxPerPlayer counts units ever bought for the recipient plus those waiting;
    -- a durable item is bought once, never while owned or on its way.
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

    -- One tap: within the allowance's maximum and currency, and today's one-tap total (UTC day) plus
    -- this purchase within its daily cap.
    SELECT coalesce(sum(amount_minor), 0) INTO v_spent FROM purchases
      WHERE game_id = v_new.game_id AND player_id = v_new.player_id AND path = 'one_tap'
        AND currency = v_new.currency AND created_at >= p_day_start
        AND status IN ('PROCESSING', 'SUCCEEDED', 'REFUNDED', 'PARTIALLY_REFUNDED');
    v_one_tap := p_allowance_currency = v_new.currency
      AND v_new.amount_minor <= p_one_tap_max_minor
      AND v_spent + v_new.amount_minor <= p_daily_cap_minor;

    IF NOT v_one_tap OR v_new.risk_decision = 'STEP_UP' THEN
      SELECT count(*) INTO v_waiting FROM purchases
        WHERE game_id = v_new.game_id AND player_id = v_new.player_id
          AND status IN ('REQUIRES_CONFIRMATION', 'REQUIRES_ACTION');
      IF v_waiting >= p_max_unconfirmed THEN
        outcome := 'unconfirmed_cap';
        RETURN;
      END IF;
    END IF;

    -- takeStockReleasingLapsed: never below zero (the guarded update waits for a concurrent buyer's
    -- and re-reads the stock); unlimited (null) stock is not touched.
    UPDATE items SET stock = stock - v_new.quantity WHERE id = v_new.item_id AND stock >= v_new.quantity
      RETURNING stock INTO v_left;
    IF NOT FOUND THEN
      SELECT true, stock INTO v_found, v_stock FROM items WHERE id = v_new.item_id;
      IF v_found IS NULL THEN
        outcome := 'item_not_found';
        RETURN;
      END IF;
      IF v_stock IS NOT NULL THEN
        -- releaseLapsedStockHolds for this item: waiting purchases whose hold lapsed give their units back.
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
        UPDATE items SET stock = stock - v_new.quantity WHERE id = v_new.item_id AND stock >= v_new.quantity
          RETURNING stock INTO v_left;
        IF NOT FOUND THEN
          SELECT stock INTO v_stock FROM items WHERE id = v_new.item_id;
          outcome := 'out_of_stock';
          detail := v_stock;
          RETURN;
        END IF;
      END IF;
    END IF;

    IF NOT v_one_tap THEN
      -- waits for the player in the pay sheet; action_reason says why (confirmationCause)
      v_new.status := 'REQUIRES_CONFIRMATION';
      v_new.path := 'confirmation';
      v_new.processing_at := NULL;
    ELSIF v_new.risk_decision = 'STEP_UP' THEN
      v_new.status := 'REQUIRES_ACTION';
      v_new.path := 'one_tap';
      v_new.action_reason := 'risk';
      v_new.processing_at := NULL;
    ELSE
      v_new.status := 'PROCESSING';
      v_new.path := 'one_tap';
      v_new.action_reason := NULL;
      v_new.expires_at := NULL;
      v_new.stock_hold_until := NULL;
      v_new.processing_at := p_now;
    END IF;
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
  detail := v_left;
END
$$;
