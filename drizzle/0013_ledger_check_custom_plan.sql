-- The deferred balance check runs once per ledger entry. PL/pgSQL keeps a generic plan per
-- connection: one made while ledger_entries was small is a sequential scan, kept as the table grows
-- (nothing invalidates it until the table is analyzed), so every posting on that connection read
-- the whole table. A custom plan, made with the transaction id at hand, always uses its index.
ALTER FUNCTION ledger_transaction_balanced() SET plan_cache_mode = force_custom_plan;
