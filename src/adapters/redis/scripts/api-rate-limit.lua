-- API rate limits with GCRA (generic cell rate algorithm): one key per subject holding its
-- theoretical arrival time (TAT, clock microseconds). A request is counted against every subject
-- only if all of them allow it, in one atomic call. Time comes from the caller's clock (ARGV[1]).
-- KEYS[i]       the subject's key (credential, IP…)
-- ARGV[1]       now (ms)
-- ARGV[2i]      limit of subject i (requests per period)   ARGV[2i+1]  its period (ms)
-- ARGV[2n+2]    optional 'peek': report without counting (a Redis Cluster checks subjects in other
--               slots one call each: peek all, then count all)
-- Returns, per subject: allowed (0|1), remaining, reset ms (until the full quota is back),
-- retry-after ms (0 when allowed).
local now = tonumber(ARGV[1]) * 1000
local peek = ARGV[2 * #KEYS + 2] == 'peek'
local plans = {}
local all_allowed = true

for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local period = tonumber(ARGV[2 * i + 1]) * 1000
  local interval = math.floor(period / limit)
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then
    tat = now
  end
  local new_tat = tat + interval
  -- a burst of `limit` requests fits: the request is allowed while new_tat - period <= now
  local allow_at = new_tat - period
  local plan = { key = key, limit = limit, interval = interval, period = period, tat = tat, new_tat = new_tat }
  if allow_at > now then
    plan.allowed = false
    plan.retry = allow_at - now
    all_allowed = false
  else
    plan.allowed = true
    plan.retry = 0
  end
  plans[i] = plan
end

local reply = {}
for i, plan in ipairs(plans) do
  local allowed = all_allowed and 1 or 0
  local tat = plan.tat
  if all_allowed and not peek then
    tat = plan.new_tat
    redis.call('SET', plan.key, string.format('%d', tat), 'PX', string.format('%d', math.ceil((tat - now) / 1000) + 1))
  end
  local remaining = math.floor((plan.period - (tat - now)) / plan.interval)
  if remaining < 0 then
    remaining = 0
  end
  reply[#reply + 1] = allowed
  reply[#reply + 1] = remaining
  reply[#reply + 1] = math.ceil((tat - now) / 1000)
  reply[#reply + 1] = math.ceil(plan.retry / 1000)
end
return reply
