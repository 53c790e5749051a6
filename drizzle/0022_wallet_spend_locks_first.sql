-- ledger_post_wallet_spend (0019) checked for a spend already posted under its reference before it
-- locked the wallet row, so two spends under one reference at once made the second wait on the row,
-- then fail on the (kind, reference) unique key — or answer insufficient_funds for a spend that had
-- gone through — instead of answering duplicate. Now the row is locked before the check. wallet_purchase
-- is not affected (its reference is a new purchase id, under the player's lock), debitWallet was.
CREATE OR REPLACE FUNCTION ledger_post_wallet_spend(
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
  -- The wallet row is locked first: a second spend under this reference waits here for the first to
  -- end, and its check below (a statement of its own, a fresh snapshot) then finds it.
  SELECT a.id INTO v_wallet FROM ledger_accounts AS a
   WHERE a.game_id = p_game_id AND a.player_id = p_player_id AND a.kind = 'player_wallet' AND a.currency = p_currency
   FOR NO KEY UPDATE;
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
  -- The wallet row is locked (above): another spend under this reference (of this wallet) waited
  -- behind it and found this one, so the insert below never meets a conflict.
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
