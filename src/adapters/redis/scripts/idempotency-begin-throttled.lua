-- The API rate limit and the idempotency lock in one atomic call (a single Redis only: on a Redis
-- Cluster the subjects' keys live in other slots than the idempotency key). The rate limit is
-- gcra.lua's api_rate_limit (prepended by redis-scripts.ts), the very code of api-rate-limit.lua;
-- the lock is idempotency-begin.lua's, taken only when the rate limit allowed the request.
-- KEYS[1]       the idempotency key
-- KEYS[1+i]     the rate limit's subject i (credential, IP…)
-- ARGV[1]       the running record: {"state":"running","owner":…,"fingerprint":…}
-- ARGV[2]       lock time to live in milliseconds
-- ARGV[3]       now (ms)
-- ARGV[2+2i]    limit of subject i (requests per period)   ARGV[3+2i]  its period (ms)
-- Returns {'throttled', limits} (refused: nothing counted, no lock), {'acquired', limits} or
-- {'held', <stored record>, <remaining ttl ms>, limits}; limits is api-rate-limit.lua's reply.
local subjects = {}
for i = 2, #KEYS do
  subjects[i - 1] = KEYS[i]
end
local args = {}
for i = 3, #ARGV do
  args[i - 2] = ARGV[i]
end
local allowed, limits = api_rate_limit(subjects, args, false)
if not allowed then
  return {'throttled', limits}
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {'acquired', limits}
end
return {'held', redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]), limits}
