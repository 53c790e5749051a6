-- Takes an idempotency lock, or reports what holds the key, in one atomic step
-- (the key cannot expire or change between the SET NX and the read).
-- KEYS[1] the idempotency key
-- ARGV[1] the running record: {"state":"running","owner":…,"fingerprint":…}
-- ARGV[2] lock time to live in milliseconds
-- Returns {'acquired'} or {'held', <stored record>, <remaining ttl ms>}.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {'acquired'}
end
return {'held', redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
