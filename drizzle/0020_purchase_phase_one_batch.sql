-- Opportunistic group commit of phase 1 (issue 18, item 2): the card purchases that queued while other
-- phase-1 calls were in flight go together, in one statement and one commit. Each purchase runs
-- purchase_phase_one in a subtransaction of its own, in the order they arrived: its outcome (created,
-- duplicate, a refusal) is its own, and one that raises (a broken row, a unique violation by a writer
-- that does not take the player's lock) is rolled back alone and answered with its error (message,
-- SQLSTATE, constraint), while the others commit.
-- Locks: a batch holds what each of its purchases locked until its one commit, so it takes them all
-- first, in one order that every phase-1 writer follows: the players' advisory locks (every key of the
-- batch, once, in the order of the key's text, which for one game is lockPlayers' order of player ids),
-- then the rows of the items with a stock, in id order (the stock update's row lock). A single
-- purchase_phase_one takes its players then its one item, so neither it nor another batch can hold
-- something a batch waits for while waiting for something the batch holds: no deadlock.
-- p_batch: [{purchase, riskEvent, lockKeys, now, dayStart, itemKind, maxPerPlayer, allowanceCurrency,
-- oneTapMaxMinor, dailyCapMinor, maxUnconfirmed}], purchase_phase_one's arguments; each answer carries
-- its ordinal in p_batch (1-based).
CREATE FUNCTION purchase_phase_one_batch(p_batch jsonb)
RETURNS TABLE (
  ordinal integer,
  outcome text,
  detail bigint,
  purchase purchases,
  error text,
  error_code text,
  error_constraint text
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_key text;
  v_item record;
  v_done record;
  v_message text;
  v_state text;
  v_constraint text;
BEGIN
  FOR v_key IN
    SELECT DISTINCT k.key COLLATE "C"
      FROM jsonb_array_elements(p_batch) AS b(item), jsonb_array_elements_text(b.item->'lockKeys') AS k(key)
     ORDER BY 1
  LOOP
    PERFORM pg_advisory_xact_lock(hashtextextended(v_key, 0));
  END LOOP;
  -- ORDER BY below the row locks: the rows are locked in id order.
  PERFORM 1 FROM items
    WHERE id IN (SELECT (b.item->'purchase'->>'item_id')::uuid FROM jsonb_array_elements(p_batch) AS b(item))
      AND stock IS NOT NULL
    ORDER BY id
    FOR NO KEY UPDATE;

  FOR v_item IN
    SELECT b.ord::integer AS ord, b.item
      FROM jsonb_array_elements(p_batch) WITH ORDINALITY AS b(item, ord)
     ORDER BY b.ord
  LOOP
    ordinal := v_item.ord;
    BEGIN
      SELECT r.outcome, r.detail, r.purchase INTO v_done
        FROM purchase_phase_one(
          v_item.item->'purchase', v_item.item->'riskEvent', v_item.item->'lockKeys',
          (v_item.item->>'now')::timestamptz, (v_item.item->>'dayStart')::timestamptz,
          v_item.item->>'itemKind', (v_item.item->>'maxPerPlayer')::integer, v_item.item->>'allowanceCurrency',
          (v_item.item->>'oneTapMaxMinor')::bigint, (v_item.item->>'dailyCapMinor')::bigint,
          (v_item.item->>'maxUnconfirmed')::integer) AS r;
      outcome := v_done.outcome;
      detail := v_done.detail;
      purchase := v_done.purchase;
      error := NULL;
      error_code := NULL;
      error_constraint := NULL;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_state = RETURNED_SQLSTATE, v_constraint = CONSTRAINT_NAME;
      outcome := NULL;
      detail := NULL;
      purchase := NULL;
      error := v_message;
      error_code := v_state;
      error_constraint := nullif(v_constraint, '');
    END;
    RETURN NEXT;
  END LOOP;
END
$$;
