-- wallet_purchase (0019) ran with plan_cache_mode = force_custom_plan, as purchase_phase_one does.
-- A function's SET holds for everything it calls, so every statement of the purchase (its own and
-- those of settle_purchase, ledger_post_wallet_spend, inventory_grant and outbox_enqueue, about 25)
-- was planned again on every call: twice the statement's execution time (4.1 against 2.1 ms a call,
-- measured with pg_stat_statements). Its statements are lookups by unique keys and inserts, and the
-- ones it calls run with cached plans on the card path already (settle_purchase sets nothing). A
-- cached generic plan made while a table was small is replaced when the table is next analyzed
-- (autovacuum; the bench stands in for it where it is off). The ledger's balance check keeps its own
-- force_custom_plan (0013, 0016): a trigger function's SET applies to it wherever it fires.
ALTER FUNCTION wallet_purchase(jsonb, jsonb, jsonb, timestamptz, text, integer, text, jsonb, jsonb)
  RESET plan_cache_mode;
