--[[
  write-entity-2.lua — writes one entity's public values, engine state and fence atomically.

  KEYS[1]  public hash   fs:{view}:{version}:{entity}
  KEYS[2]  state hash    fsx:{slot tag}:{view}:{version}:{entity} (same cluster slot as KEYS[1])
  ARGV[1]  fence: highest source offset applied to the entity
  ARGV[2]  as-of (event-time ms) of the values
  ARGV[3]  state bytes, or '' when only the values changed (the stored state stays)
  ARGV[4]  ttl in milliseconds
  ARGV[5]  n: number of field/value pairs that follow
  ARGV[6 .. 5+2n]   field, value pairs (features with values, _asof, _updated)
  ARGV[6+2n ..]     fields to delete (features whose value is null)

  Returns 1 when written; 0 when the stored write is newer (higher fence, or the same fence
  with a later as-of), so a stale writer never moves an entity backwards.
]]
local fence = tonumber(ARGV[1])
local asof = tonumber(ARGV[2])
local stored = redis.call('HMGET', KEYS[2], 'f', 'a')
local sf = tonumber(stored[1])
if sf ~= nil then
  if sf > fence then return 0 end
  if sf == fence and tonumber(stored[2]) > asof then return 0 end
end
local n = tonumber(ARGV[5])
local ttl = tonumber(ARGV[4])
if n > 0 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 6, 5 + 2 * n))
end
if #ARGV >= 6 + 2 * n then
  redis.call('HDEL', KEYS[1], unpack(ARGV, 6 + 2 * n, #ARGV))
end
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[2], 's', ARGV[3], 'f', ARGV[1], 'a', ARGV[2])
else
  redis.call('HSET', KEYS[2], 'a', ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
