-- API rate limits with GCRA (generic cell rate algorithm): one key per subject holding its
-- theoretical arrival time (TAT, clock microseconds). A request is counted against every subject
-- only if all of them allow it. Time comes from the caller's clock (args[1]).
-- Not a script of its own: redis-scripts.ts puts this function at the head of api-rate-limit.lua and
-- idempotency-begin-throttled.lua, so both count with the same code.
-- keys[i]       the subject's key (credential, IP…)
-- args[1]       now (ms)
-- args[2i]      limit of subject i (requests per period)   args[2i+1]  its period (ms)
-- peek          true: report without counting
-- Returns whether all allowed, and per subject: allowed (0|1), remaining, reset ms (until the full
-- quota is back), retry-after ms (0 when allowed), flattened.
local function api_rate_limit(keys, args, peek)
  local now = tonumber(args[1]) * 1000
  local plans = {}
  local all_allowed = true

  for i, key in ipairs(keys) do
    local limit = tonumber(args[2 * i])
    local period = tonumber(args[2 * i + 1]) * 1000
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
  return all_allowed, reply
end
