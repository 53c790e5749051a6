-- Opportunistic group commit of phase 3 (issue 18, item 2): the successes that queued while other
-- settlements were in flight settle together, in one statement and one commit. Each purchase runs
-- settle_purchase in a subtransaction of its own: one that fails (a broken row, a currency the game
-- lacks) is rolled back alone and answered with its error, and the others commit. Purchases are
-- taken in a fixed order (game, currency, recipient, purchase) so that two batches lock the rows they
-- share (a game's balance buckets, a wallet, a purchase that recovery settles too) in the same order.
-- p_batch: [{purchaseId, acquirerChargeId, succeededAt, receipt, feeMinor, saleAccounts, grant, events}],
-- settle_purchase's arguments; each answer carries its ordinal in p_batch (1-based).
CREATE FUNCTION settle_purchases(p_batch jsonb)
RETURNS TABLE (ordinal integer, purchase purchases, settled boolean, sale_accounts jsonb, events jsonb, error text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_item record;
  v_done record;
BEGIN
  FOR v_item IN
    SELECT b.ord::integer AS ord, b.item
      FROM jsonb_array_elements(p_batch) WITH ORDINALITY AS b(item, ord)
      LEFT JOIN purchases AS p ON p.id = (b.item->>'purchaseId')::uuid
     ORDER BY p.game_id, p.currency, p.recipient_id, p.id, b.ord
  LOOP
    ordinal := v_item.ord;
    BEGIN
      SELECT s.purchase, s.settled, s.sale_accounts, s.events INTO v_done
        FROM settle_purchase(
          (v_item.item->>'purchaseId')::uuid, v_item.item->>'acquirerChargeId',
          (v_item.item->>'succeededAt')::timestamptz, v_item.item->>'receipt', (v_item.item->>'feeMinor')::bigint,
          CASE WHEN jsonb_typeof(v_item.item->'saleAccounts') = 'array'
               THEN ARRAY(SELECT a::uuid FROM jsonb_array_elements_text(v_item.item->'saleAccounts') AS a) END,
          v_item.item->'grant', v_item.item->'events') AS s;
      IF FOUND THEN
        purchase := v_done.purchase;
        settled := v_done.settled;
        sale_accounts := v_done.sale_accounts;
        events := v_done.events;
        error := NULL;
      ELSE
        purchase := NULL;
        settled := false;
        sale_accounts := NULL;
        events := NULL;
        error := NULL;
      END IF;
    EXCEPTION WHEN OTHERS THEN
      purchase := NULL;
      settled := false;
      sale_accounts := NULL;
      events := NULL;
      error := SQLERRM;
    END;
    RETURN NEXT;
  END LOOP;
END
$$;
