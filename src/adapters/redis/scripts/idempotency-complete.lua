-- Stores the response and ends the lock, only if ARGV[1] still owns it (compare-and-set).
-- KEYS[1] the idempotency key
-- ARGV[1] the owner token handed out by begin
-- ARGV[2] the stored response as JSON, kept verbatim so that it replays byte for byte
-- ARGV[3] retention in milliseconds
-- Returns 1 when stored, 0 when the caller no longer owns the lock.
local current = redis.call('GET', KEYS[1])
-- only a running record can be completed; skip decoding completed records (they can be large)
if not current or string.sub(current, 1, 19) ~= '{"state":"running",' then
  return 0
end
local ok, record = pcall(cjson.decode, current)
if not ok or type(record) ~= 'table' or record.owner ~= ARGV[1] then
  return 0
end
local completed = '{"state":"completed","fingerprint":' .. cjson.encode(record.fingerprint) ..
  ',"response":' .. ARGV[2] .. '}'
redis.call('SET', KEYS[1], completed, 'PX', ARGV[3])
return 1
