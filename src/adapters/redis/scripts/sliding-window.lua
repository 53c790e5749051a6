-- Sliding-window log: a sorted set of hits (score = hit time in ms, member unique per hit).
-- A hit at t counts while now < t + window, so limits are exact at the window's edges.
-- Time comes from the caller's clock (ARGV), not Redis TIME, so tests can move it.
-- KEYS[1] the log key
-- ARGV[1] mode: 'consume' (count if there is room), 'peek' (count nothing), 'record' (always count)
-- ARGV[2] now (ms)   ARGV[3] window (ms)   ARGV[4] cutoff = now - window (ms)
-- ARGV[5] limit      ARGV[6] a unique member for this hit
-- Returns {allowed 0|1, count, retryAfterMs, resetMs}.
local key = KEYS[1]
local mode = ARGV[1]
local now = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local limit = tonumber(ARGV[5])

redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[4])
local count = redis.call('ZCARD', key)
local allowed = 0
if mode == 'record' or (mode == 'consume' and count < limit) then
  redis.call('ZADD', key, ARGV[2], ARGV[6])
  -- the newest hit is this one, so the whole log is useless one window from now
  redis.call('PEXPIRE', key, ARGV[3])
  count = count + 1
  allowed = 1
elseif mode == 'peek' and count < limit then
  allowed = 1
end

local reset = 0
if count > 0 then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  reset = tonumber(oldest[2]) + window - now
end
local retry = 0
if allowed == 0 then
  -- a slot frees when the hit at rank (count - limit) leaves the window
  local rank = count - limit
  local hit = redis.call('ZRANGE', key, rank, rank, 'WITHSCORES')
  retry = tonumber(hit[2]) + window - now
end
return {allowed, count, retry, reset}
