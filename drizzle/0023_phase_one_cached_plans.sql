-- purchase_phase_one (0017) ran with plan_cache_mode = force_custom_plan, so its statements (about
-- ten, and those of the functions it calls) were planned again on every call: ~0.6 ms of Postgres per
-- purchase (pg_stat_statements, bench/RESULTS.md session 8: 1.66 -> 1.06 ms a call alone, 1.50 -> 0.86
-- inside a batch), as 0021 found for wallet_purchase. Its reads of purchases are by indexed keys; a
-- plan cached while the table was small keeps using the indexes as it grows
-- (test/integration/purchases/phase-one-plan.test.ts), and an analyze replaces cached plans anyway.
-- The ledger's balance check keeps its own force_custom_plan (0013, 0016).
ALTER FUNCTION purchase_phase_one(jsonb, jsonb, jsonb, timestamptz, timestamptz, text, integer, text, bigint, bigint, integer)
  RESET plan_cache_mode;
