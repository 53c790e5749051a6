-- API rate limits: gcra.lua's api_rate_limit (prepended by redis-scripts.ts) on this call's keys,
-- in one atomic call.
-- KEYS[i]       the subject's key (credential, IP…)
-- ARGV[1]       now (ms)
-- ARGV[2i]      limit of subject i (requests per period)   ARGV[2i+1]  its period (ms)
-- ARGV[2n+2]    optional 'peek': report without counting (a Redis Cluster checks subjects in other
--               slots one call each: peek all, then count all)
-- Returns, per subject: allowed (0|1), remaining, reset ms (until the full quota is back),
-- retry-after ms (0 when allowed).
local _, reply = api_rate_limit(KEYS, ARGV, ARGV[2 * #KEYS + 2] == 'peek')
return reply
