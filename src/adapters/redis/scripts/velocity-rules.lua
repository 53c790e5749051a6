-- Fraud velocity counters. Each call touches the keys of one subject only, all under one Redis
-- Cluster hash tag: the player ({p:…}), the card ({c:…}), the address ({ip:…}) or the device ({d:…}).
-- On a Redis Cluster the store reads the card, address and device counters first (pipelined, one
-- call each), then runs the player's call, which reads, checks and updates every counter of the
-- player atomically and is told whether a subject counter refused the attempt. On a single Redis a
-- purchase runs the same calls as one 'batch' (one round trip; the batch tells the player's call
-- what the subjects' calls found). Windows are sorted-set logs (score = clock ms
-- of the entry), exact at their edges: an entry at t counts while now < t + window. Time comes from
-- the caller's clock (ARGV), never Redis TIME, so tests can cross window edges. PEXPIRE only collects
-- idle keys. ARGV[1] is the operation (keys and arguments below). Values include the attempt being
-- evaluated; retry-afters are ms (0 = allowed, -1 = waiting cannot help).

local op = ARGV[1]

-- Integers as exact decimal strings (Lua would print large numbers in exponent notation).
local function int(n)
  return string.format('%d', n)
end

-- Drops the entries of a log that have left its (longest) window.
local function trim(key, now, window)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now - window))
end

-- Entries of `key` inside the window, with `member` counted once (it may already be there).
local function windowed(key, member, now, window)
  local cutoff = now - window
  local n = redis.call('ZCOUNT', key, '(' .. int(cutoff), '+inf')
  local score = redis.call('ZSCORE', key, member)
  if score and tonumber(score) > cutoff then
    return n, true
  end
  return n + 1, false
end

-- Ms until the k-th oldest entry other than `member` leaves the window (then the value drops by k).
local function kth_other_leaves(key, member, now, window, k)
  local rows = redis.call('ZRANGEBYSCORE', key, '(' .. int(now - window), '+inf', 'WITHSCORES', 'LIMIT', 0, k + 1)
  local seen = 0
  for i = 1, #rows, 2 do
    if rows[i] ~= member then
      seen = seen + 1
      if seen == k then
        return tonumber(rows[i + 1]) + window - now
      end
    end
  end
  return -1
end

-- A counter that refuses once its value reaches `block_from`; returns value, over, retry, counted.
local function counter(key, member, now, window, block_from)
  local value, counted = windowed(key, member, now, window)
  if value < block_from then
    return value, false, 0, counted
  end
  return value, true, kth_other_leaves(key, member, now, window, value - block_from + 1), counted
end

-- The weight of a logged decline: its member starts with 'c:' for a mistyped CVC (1), 'b:' otherwise (2).
local function weight(member)
  if string.sub(member, 1, 2) == 'c:' then
    return 1
  end
  return 2
end

-- The player's decline record, replayed from the log oldest first: `lock_at` points within an hour
-- (counting only declines after the last lock-out began, and none made during one) start a lock-out
-- of first_ms * 3^k, k = lock-outs begun in the 24 hours before it, never longer than cap_ms.
-- Returns declines in the last hour, points now, lock-outs begun in 24 hours, lock-out end (0 = none).
local function decline_state(key, now, hour, day, lock_at, cap_ms, first_ms, retention)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now - retention))
  local rows = redis.call('ZRANGEBYSCORE', key, '-inf', '+inf', 'WITHSCORES')
  local times, weights, counts = {}, {}, {}
  local locks = {}
  local lock_until, since = 0, -1
  for i = 1, #rows, 2 do
    local t = tonumber(rows[i + 1])
    local j = #times + 1
    times[j] = t
    weights[j] = weight(rows[i])
    counts[j] = t >= lock_until
    if counts[j] then
      local points = 0
      for k = 1, j do
        if counts[k] and times[k] > since and times[k] > t - hour then
          points = points + weights[k]
        end
      end
      if points >= lock_at then
        local level = 0
        for _, start in ipairs(locks) do
          if start > t - day then
            level = level + 1
          end
        end
        lock_until = t + math.min(first_ms * 3 ^ math.min(level, 20), cap_ms)
        since = t
        locks[#locks + 1] = t
      end
    end
  end
  local recent, points, lockouts = 0, 0, 0
  for j = 1, #times do
    if times[j] > now - hour then
      recent = recent + 1
      if counts[j] and times[j] > since then
        points = points + weights[j]
      end
    end
  end
  for _, start in ipairs(locks) do
    if start > now - day then
      lockouts = lockouts + 1
    end
  end
  if lock_until <= now then
    lock_until = 0
  end
  return recent, points, lockouts, lock_until
end

-- The amount log keeps one entry per purchase (member = attempt id) and a hash of their amounts
-- with a running '_sum', so a decision costs O(entries leaving the window), not O(entries).
local function trimmed_sum(log, amounts, cutoff)
  local old = redis.call('ZRANGEBYSCORE', log, '-inf', int(cutoff))
  if #old > 0 then
    local freed = 0
    for first = 1, #old, 500 do
      local batch = {}
      for i = first, math.min(first + 499, #old) do
        batch[#batch + 1] = old[i]
      end
      local values = redis.call('HMGET', amounts, unpack(batch))
      for i = 1, #values do
        if values[i] then
          freed = freed + tonumber(values[i])
        end
      end
      redis.call('HDEL', amounts, unpack(batch))
    end
    redis.call('HINCRBY', amounts, '_sum', int(-freed))
    redis.call('ZREMRANGEBYSCORE', log, '-inf', int(cutoff))
  end
  if redis.call('ZCARD', log) == 0 then
    redis.call('DEL', amounts)
    return 0
  end
  return tonumber(redis.call('HGET', amounts, '_sum') or '0')
end

-- Gives back one purchase's amount.
local function release(log, amounts, member)
  local amount = redis.call('HGET', amounts, member)
  if amount then
    redis.call('HDEL', amounts, member)
    redis.call('HINCRBY', amounts, '_sum', int(-tonumber(amount)))
  end
  redis.call('ZREM', log, member)
end

-- Records `member` in a distinct-set (score = last seen) and keeps the key for one window.
local function touch(key, member, now, window)
  redis.call('ZADD', key, int(now), member)
  redis.call('PEXPIRE', key, int(window))
end

-- Operations ---------------------------------------------------------------------------------
-- Each operation is a function of its own KEYS and ARGV (the parameters shadow the script's globals,
-- so that a batch can hand each call its slice); ARGV[1] is the operation's name in both.
local ops = {}

-- Subject calls ------------------------------------------------------------------------------

ops.card_players = function(KEYS, ARGV)
  -- KEYS: 1 players of the card   ARGV: 2 now, 3 player id, 4 block at, 5 day ms
  local now, player, day = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[5])
  trim(KEYS[1], now, day)
  local v, over, retry = counter(KEYS[1], player, now, day, tonumber(ARGV[4]))
  -- who used the card is evidence whatever the outcome
  touch(KEYS[1], player, now, day)
  return { v, retry }, over
end

ops.address = function(KEYS, ARGV)
  -- KEYS: 1 cards of the address, 2 declined cards of the address
  -- ARGV: 2 now, 3 fingerprint, 4 cards signal at, 5 decline points at, 6 hour ms, 7 address decline window ms
  local now, fp, hour, window = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[6]), tonumber(ARGV[7])
  trim(KEYS[1], now, hour)
  local cards_v, _, cards_retry = counter(KEYS[1], fp, now, hour, tonumber(ARGV[4]))
  touch(KEYS[1], fp, now, hour)
  trim(KEYS[2], now, window)
  local rows = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. int(now - window), '+inf', 'WITHSCORES')
  local points = 0
  for i = 1, #rows, 2 do
    points = points + weight(rows[i])
  end
  local at = tonumber(ARGV[5])
  local retry = 0
  if points >= at then
    -- the address cools down once enough of its declined cards leave the window
    local left = points
    for i = 1, #rows, 2 do
      left = left - weight(rows[i])
      if left < at then
        retry = tonumber(rows[i + 1]) + window - now
        break
      end
    end
  end
  return { cards_v, cards_retry, points, retry }
end

ops.device = function(KEYS, ARGV)
  -- KEYS: 1 cards of the device   ARGV: 2 now, 3 fingerprint, 4 block at, 5 hour ms
  local now, fp, hour = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[5])
  trim(KEYS[1], now, hour)
  local v, over, retry = counter(KEYS[1], fp, now, hour, tonumber(ARGV[4]))
  -- tried cards count even when refused: the device stays blocked while the attack goes on
  touch(KEYS[1], fp, now, hour)
  return { v, retry }, over
end

ops.address_decline = function(KEYS, ARGV)
  -- KEYS: 1 declined cards of the address   ARGV: 2 now, 3 member ('b:'|'c:' .. card), 4 window ms
  local now, window = tonumber(ARGV[2]), tonumber(ARGV[4])
  trim(KEYS[1], now, window)
  -- a card declined again counts once, from its latest decline
  redis.call('ZADD', KEYS[1], int(now), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], int(window))
  return 1
end

-- Player calls -------------------------------------------------------------------------------

ops.purchase = function(KEYS, ARGV)
  -- KEYS: 1 purchases log, 2 amount log, 3 amounts hash, 4 declines log, 5 card rank hash
  -- ARGV: 2 now, 3 attempt id, 4 amount, 5 card fingerprint ('' = none), 6 a subject refused (1|0),
  --       7 purchases/min, 8 purchases/hour, 9 daily cap, 10 decline points to lock, 11 lock cap ms,
  --       12 first lock ms, 13 minute ms, 14 hour ms, 15 day ms, 16 decline log retention ms,
  --       17 card rank retention ms
  -- The card rank hash also holds 'c:<fingerprint>' = the attempt id of the player's first counted
  -- purchase on the card.
  local now = tonumber(ARGV[2])
  local attempt = ARGV[3]
  local amount = tonumber(ARGV[4])
  local fp = ARGV[5]
  local minute, hour, day = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15])

  -- purchases per minute and per hour share one log, kept for the longer window
  trim(KEYS[1], now, hour)
  local min_v, min_over, min_retry = counter(KEYS[1], attempt, now, minute, tonumber(ARGV[7]) + 1)
  local hour_v, hour_over, hour_retry, counted = counter(KEYS[1], attempt, now, hour, tonumber(ARGV[8]) + 1)

  local cap = tonumber(ARGV[9])
  local sum = trimmed_sum(KEYS[2], KEYS[3], now - day)
  local amount_counted = redis.call('HGET', KEYS[3], attempt)
  local amount_v = sum
  if not amount_counted then
    amount_v = sum + amount
  end
  local amount_over = amount_v > cap
  local amount_retry = 0
  if amount_over then
    amount_retry = -1
    -- a slot opens when enough older purchases (other than this one) leave the window
    if amount <= cap then
      local rows = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. int(now - day), '+inf', 'WITHSCORES')
      local freed = 0
      for i = 1, #rows, 2 do
        if rows[i] ~= attempt then
          freed = freed + tonumber(redis.call('HGET', KEYS[3], rows[i]) or '0')
          if amount_v - freed <= cap then
            amount_retry = tonumber(rows[i + 1]) + day - now
            break
          end
        end
      end
    end
  end

  local declines, points, lockouts, decline_until = decline_state(KEYS[4], now, hour, day,
    tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[16]))

  local rank = -1
  local first_charge = 1
  if fp ~= '' then
    local first = redis.call('HGET', KEYS[5], 'c:' .. fp)
    if first and first ~= attempt then
      first_charge = 0
    end
    rank = tonumber(redis.call('HGET', KEYS[5], fp) or '-1')
  end

  local blocked = min_over or hour_over or amount_over or decline_until > 0 or ARGV[6] == '1'
  local recorded = 0
  if not blocked then
    recorded = 1
    if not counted then
      redis.call('ZADD', KEYS[1], 'NX', int(now), attempt)
    end
    redis.call('PEXPIRE', KEYS[1], hour)
    if not amount_counted then
      redis.call('ZADD', KEYS[2], 'NX', int(now), attempt)
      redis.call('HSET', KEYS[3], attempt, int(amount))
      redis.call('HINCRBY', KEYS[3], '_sum', int(amount))
    end
    redis.call('PEXPIRE', KEYS[2], day)
    redis.call('PEXPIRE', KEYS[3], day)
    if fp ~= '' then
      redis.call('HSETNX', KEYS[5], 'c:' .. fp, attempt)
      redis.call('PEXPIRE', KEYS[5], tonumber(ARGV[17]))
    end
  end
  return {
    blocked and 1 or 0, recorded,
    min_v, min_retry, hour_v, hour_retry, amount_v, amount_retry,
    declines, points, lockouts, decline_until, rank, first_charge,
  }
end

ops.card_add = function(KEYS, ARGV)
  -- KEYS: 1 cards of the player, 2 card rank hash, 3 declines log
  -- ARGV: 2 now, 3 fingerprint, 4 a subject refused (1|0), 5 refuse the player's Nth card,
  --       6 decline points to lock, 7 lock cap ms, 8 first lock ms, 9 hour ms, 10 day ms,
  --       11 decline log retention ms, 12 rank retention ms
  local now = tonumber(ARGV[2])
  local fp = ARGV[3]
  local hour, day = tonumber(ARGV[9]), tonumber(ARGV[10])

  local declines, points, lockouts, decline_until = decline_state(KEYS[3], now, hour, day,
    tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[11]))
  trim(KEYS[1], now, day)
  local pc_v, pc_over, pc_retry, known = counter(KEYS[1], fp, now, day, tonumber(ARGV[5]))
  if known then
    -- the same card added again is not a new card
    pc_over, pc_retry = false, 0
  end

  local blocked = decline_until > 0 or pc_over or ARGV[4] == '1'
  local rank = -1
  if not blocked then
    if known then
      rank = tonumber(redis.call('HGET', KEYS[2], fp) or pc_v)
    else
      rank = pc_v
      redis.call('HSET', KEYS[2], fp, int(rank))
    end
    touch(KEYS[1], fp, now, day)
    redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[12]))
  end
  return { blocked and 1 or 0, pc_v, pc_retry, declines, points, lockouts, decline_until, rank }
end

ops.decline = function(KEYS, ARGV)
  -- KEYS: 1 declines log, 2 amount log, 3 amounts hash
  -- ARGV: 2 now, 3 member ('b:'|'c:' .. attempt id), 4 attempt id, 5 release the amount (1|0),
  --       6 decline points to lock, 7 lock cap ms, 8 first lock ms, 9 hour ms, 10 day ms,
  --       11 decline log retention ms
  local now = tonumber(ARGV[2])
  redis.call('ZADD', KEYS[1], 'NX', int(now), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[11]))
  if ARGV[5] == '1' then
    release(KEYS[2], KEYS[3], ARGV[4])
  end
  local declines, points, lockouts, decline_until = decline_state(KEYS[1], now, tonumber(ARGV[9]),
    tonumber(ARGV[10]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[11]))
  return { declines, points, lockouts, decline_until }
end

ops.release = function(KEYS, ARGV)
  -- KEYS: 1 amount log, 2 amounts hash   ARGV: 2 attempt id
  release(KEYS[1], KEYS[2], ARGV[2])
  return 1
end

-- Several calls in one (a single Redis only: their keys live in several cluster slots) ----------

if op == 'batch' then
  -- ARGV: 2 number of calls, then per call: its operation, its number of keys, its number of further
  --       arguments, those arguments (ARGV[2..] of the call); KEYS: every call's keys in order.
  -- A purchase's argument 6 (a subject refused) may be 'subjects': refused when a 'card_players' or
  -- 'device' call before it in the batch reached its block-at (purchaseSubjectBlocks; the caller
  -- sends 'subjects' only for a card that has not paid, and '0' otherwise).
  -- Returns the calls' replies, in order.
  local replies = {}
  local refused = false
  local k, a = 1, 3
  for _ = 1, tonumber(ARGV[2]) do
    local name, nkeys, nargs = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
    a = a + 3
    local keys, args = {}, { name }
    for i = 1, nkeys do
      keys[i] = KEYS[k]
      k = k + 1
    end
    for i = 1, nargs do
      args[i + 1] = ARGV[a]
      a = a + 1
    end
    if name == 'purchase' and args[6] == 'subjects' then
      args[6] = refused and '1' or '0'
    end
    local run = ops[name]
    if not run then
      return redis.error_reply('velocity-rules.lua: unknown operation in a batch ' .. tostring(name))
    end
    local reply, over = run(keys, args)
    if over and (name == 'card_players' or name == 'device') then
      refused = true
    end
    replies[#replies + 1] = reply
  end
  return replies
end

local run = ops[op]
if run then
  return (run(KEYS, ARGV))
end
return redis.error_reply('velocity-rules.lua: unknown operation ' .. tostring(op))
