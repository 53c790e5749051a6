-- Fraud velocity counters: every counter of one decision is read, checked and updated here, in one
-- atomic call. Windows are sorted-set logs (score = clock ms of the entry), exact at their edges:
-- an entry at t counts while now < t + window. Time comes from the caller's clock (ARGV), never
-- Redis TIME, so tests can cross window edges. PEXPIRE only collects idle keys.
-- ARGV[1] is the operation: 'purchase', 'card_add', 'decline' or 'release' (keys and arguments below).
-- Values include the attempt being evaluated; retry-afters are ms (0 = allowed, -1 = waiting cannot help).

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

-- Declines in the last window, and the clock ms until which `n` declines within a window block
-- the player (each run of n declines within a window blocks for block_ms from the last of them).
local function decline_state(key, now, window, n, block_ms, retention)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now - retention))
  local recent = redis.call('ZCOUNT', key, '(' .. int(now - window), '+inf')
  local rows = redis.call('ZRANGEBYSCORE', key, '(' .. int(now - window - block_ms), '+inf', 'WITHSCORES')
  local times = {}
  for i = 2, #rows, 2 do
    times[#times + 1] = tonumber(rows[i])
  end
  local until_ms = 0
  for i = n, #times do
    if times[i] - times[i - n + 1] < window then
      local candidate = times[i] + block_ms
      if candidate > until_ms then
        until_ms = candidate
      end
    end
  end
  if until_ms <= now then
    until_ms = 0
  end
  return recent, until_ms
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

if op == 'purchase' then
  -- KEYS: 1 purchases log, 2 amount log, 3 amounts hash, 4 declines log, 5 card rank hash,
  --       6 players of the card, 7 cards of the IP, 8 cards of the device
  -- ARGV: 2 now, 3 attempt id, 4 amount, 5 player id, 6 card fingerprint ('' = none), 7 has ip, 8 has device,
  --       9 purchases/min, 10 purchases/hour, 11 daily cap, 12 declines to block, 13 decline block ms,
  --       14 players per card block at, 15 cards per ip block at, 16 cards per device block at,
  --       17 minute ms, 18 hour ms, 19 day ms, 20 decline log retention ms, 21 card rank retention ms
  -- The card rank hash also holds 'c:<fingerprint>' = the attempt id of the player's first counted
  -- purchase on the card.
  local now = tonumber(ARGV[2])
  local attempt = ARGV[3]
  local amount = tonumber(ARGV[4])
  local player = ARGV[5]
  local fp = ARGV[6]
  local minute, hour, day = tonumber(ARGV[17]), tonumber(ARGV[18]), tonumber(ARGV[19])

  -- purchases per minute and per hour share one log, kept for the longer window
  trim(KEYS[1], now, hour)
  local min_v, min_over, min_retry = counter(KEYS[1], attempt, now, minute, tonumber(ARGV[9]) + 1)
  local hour_v, hour_over, hour_retry, counted = counter(KEYS[1], attempt, now, hour, tonumber(ARGV[10]) + 1)

  local cap = tonumber(ARGV[11])
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

  local declines, decline_until = decline_state(KEYS[4], now, hour, tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[20]))

  local fp_v, fp_over, fp_retry = 0, false, 0
  local ip_v, ip_over, ip_retry = 0, false, 0
  local dev_v, dev_over, dev_retry = 0, false, 0
  local rank = -1
  local first_charge = 1
  if fp ~= '' then
    local first = redis.call('HGET', KEYS[5], 'c:' .. fp)
    if first and first ~= attempt then
      first_charge = 0
    end
    trim(KEYS[6], now, day)
    trim(KEYS[7], now, hour)
    trim(KEYS[8], now, hour)
    fp_v, fp_over, fp_retry = counter(KEYS[6], player, now, day, tonumber(ARGV[14]))
    if ARGV[7] == '1' then
      ip_v, ip_over, ip_retry = counter(KEYS[7], fp, now, hour, tonumber(ARGV[15]))
    end
    if ARGV[8] == '1' then
      dev_v, dev_over, dev_retry = counter(KEYS[8], fp, now, hour, tonumber(ARGV[16]))
    end
    rank = tonumber(redis.call('HGET', KEYS[5], fp) or '-1')
    -- who used the card from where is evidence whatever the outcome
    touch(KEYS[6], player, now, day)
    if ARGV[7] == '1' then touch(KEYS[7], fp, now, hour) end
    if ARGV[8] == '1' then touch(KEYS[8], fp, now, hour) end
  end

  local blocked = min_over or hour_over or amount_over or decline_until > 0 or fp_over or ip_over or dev_over
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
      redis.call('PEXPIRE', KEYS[5], tonumber(ARGV[21]))
    end
  end
  return {
    blocked and 1 or 0, recorded,
    min_v, min_retry, hour_v, hour_retry, amount_v, amount_retry,
    declines, decline_until,
    fp_v, fp_retry, ip_v, ip_retry, dev_v, dev_retry, rank, first_charge,
  }
end

if op == 'card_add' then
  -- KEYS: 1 cards of the player, 2 card rank hash, 3 declines log, 4 players of the card,
  --       5 cards of the IP, 6 cards of the device
  -- ARGV: 2 now, 3 player id, 4 fingerprint, 5 has ip, 6 has device, 7 refuse the player's Nth card,
  --       8 players per card block at, 9 cards per ip block at, 10 cards per device block at,
  --       11 declines to block, 12 decline block ms, 13 hour ms, 14 day ms,
  --       15 decline log retention ms, 16 rank retention ms
  local now = tonumber(ARGV[2])
  local player = ARGV[3]
  local fp = ARGV[4]
  local hour, day = tonumber(ARGV[13]), tonumber(ARGV[14])

  local declines, decline_until = decline_state(KEYS[3], now, hour, tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[15]))
  trim(KEYS[1], now, day)
  trim(KEYS[4], now, day)
  trim(KEYS[5], now, hour)
  trim(KEYS[6], now, hour)
  local pc_v, pc_over, pc_retry, known = counter(KEYS[1], fp, now, day, tonumber(ARGV[7]))
  if known then
    -- the same card added again is not a new card
    pc_over, pc_retry = false, 0
  end
  local fp_v, fp_over, fp_retry = counter(KEYS[4], player, now, day, tonumber(ARGV[8]))
  local ip_v, ip_over, ip_retry = 0, false, 0
  local dev_v, dev_over, dev_retry = 0, false, 0
  if ARGV[5] == '1' then
    ip_v, ip_over, ip_retry = counter(KEYS[5], fp, now, hour, tonumber(ARGV[9]))
    touch(KEYS[5], fp, now, hour)
  end
  if ARGV[6] == '1' then
    dev_v, dev_over, dev_retry = counter(KEYS[6], fp, now, hour, tonumber(ARGV[10]))
    touch(KEYS[6], fp, now, hour)
  end
  touch(KEYS[4], player, now, day)

  local blocked = decline_until > 0 or pc_over or fp_over or ip_over or dev_over
  local rank = -1
  if not blocked then
    if known then
      rank = tonumber(redis.call('HGET', KEYS[2], fp) or pc_v)
    else
      rank = pc_v
      redis.call('HSET', KEYS[2], fp, int(rank))
    end
    touch(KEYS[1], fp, now, day)
    redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[16]))
  end
  return {
    blocked and 1 or 0,
    pc_v, pc_retry, fp_v, fp_retry, ip_v, ip_retry, dev_v, dev_retry,
    declines, decline_until, rank,
  }
end

if op == 'decline' then
  -- KEYS: 1 declines log, 2 amount log, 3 amounts hash
  -- ARGV: 2 now, 3 attempt id, 4 release the amount (1|0), 5 declines to block, 6 decline block ms,
  --       7 hour ms, 8 decline log retention ms
  local now = tonumber(ARGV[2])
  redis.call('ZADD', KEYS[1], 'NX', int(now), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[8]))
  if ARGV[4] == '1' then
    release(KEYS[2], KEYS[3], ARGV[3])
  end
  local declines, decline_until = decline_state(KEYS[1], now, tonumber(ARGV[7]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[8]))
  return { declines, decline_until }
end

if op == 'release' then
  -- KEYS: 1 amount log, 2 amounts hash   ARGV: 2 attempt id
  release(KEYS[1], KEYS[2], ARGV[2])
  return 1
end

return redis.error_reply('velocity-rules.lua: unknown operation ' .. tostring(op))
