--[[
  write-entities.lua — writes the public values, engine state and fence of several entities;
  each entity atomically (the whole call is one atomic step).

  KEYS[2i-1]  public hash of entity i   fs:{view}:{version}:{entity}
  KEYS[2i]    state hash of entity i    fsx:{slot tag}:{view}:{version}:{entity}
              (same cluster slot as its public hash; on a cluster, one call holds one slot)
  ARGV[1]     ttl in milliseconds
  ARGV[2]     MessagePack (original raw types, read by cmsgpack) of one array per entity, in
              KEYS order: { fence, asof, state, n, field1, value1, … fieldn, valuen, del1, … }
              fence  highest source offset applied to the entity (decimal)
              asof   event time (ms) of the values (decimal)
              state  state bytes, or '' when only the values changed (the stored state stays)
              n      number of field/value pairs that follow (features with values, _asof,
                     _updated); then the fields to delete (features whose value is null)

  An entity whose stored write is newer (higher fence, or the same fence with a later as-of) is
  left as it is, so a stale writer never moves an entity backwards. Returns how many entities
  were written.
]]
local ttl = tonumber(ARGV[1])
local entities = cmsgpack.unpack(ARGV[2])
local written = 0
for i = 1, #entities do
  local e = entities[i]
  local pub = KEYS[2 * i - 1]
  local st = KEYS[2 * i]
  local fence = tonumber(e[1])
  local asof = tonumber(e[2])
  local stored = redis.call('HMGET', st, 'f', 'a')
  local sf = tonumber(stored[1])
  if sf == nil or sf < fence or (sf == fence and tonumber(stored[2]) <= asof) then
    local last = 4 + 2 * tonumber(e[4])
    if last > 4 then
      redis.call('HSET', pub, unpack(e, 5, last))
    end
    if #e > last then
      redis.call('HDEL', pub, unpack(e, last + 1, #e))
    end
    if e[3] ~= '' then
      redis.call('HSET', st, 's', e[3], 'f', e[1], 'a', e[2])
    else
      redis.call('HSET', st, 'a', e[2])
    end
    redis.call('PEXPIRE', pub, ttl)
    redis.call('PEXPIRE', st, ttl)
    written = written + 1
  end
end
return written
