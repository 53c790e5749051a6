-- Drops the lock without storing anything, only if ARGV[1] still owns it (compare-and-set);
-- a completed record is never deleted by a release.
-- KEYS[1] the idempotency key
-- ARGV[1] the owner token handed out by begin
-- Returns 1 when released, 0 otherwise.
local current = redis.call('GET', KEYS[1])
if not current or string.sub(current, 1, 19) ~= '{"state":"running",' then
  return 0
end
local ok, record = pcall(cjson.decode, current)
if not ok or type(record) ~= 'table' or record.owner ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
