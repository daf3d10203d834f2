#include "jobs/redis_job_scripts.h"

namespace inferd::jobs::internal {

const char kCommitScript[] = R"lua(
local rev = redis.call('HGET', KEYS[1], 'rev')
if ARGV[1] == '' then
  if rev then return {0} end
elseif rev ~= ARGV[1] then
  return {0}
end
if ARGV[4] == '1' then
  if not redis.call('SET', KEYS[3], ARGV[3], 'NX') then
    return {2, redis.call('GET', KEYS[3])}
  end
end
local i = 6
for c = 1, tonumber(ARGV[5]) do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
if ARGV[2] ~= '' then
  local created = redis.call('HGET', KEYS[1], 'created')
  local eid = redis.call('XADD', KEYS[2], '*', 'id', ARGV[3], 'c', created)
  redis.call('HSET', KEYS[1], 'entry', ARGV[2] .. '|' .. eid)
end
return {1}
)lua";

const char kClaimScript[] = R"lua(
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, m in ipairs(due) do
  local sep = string.find(m, '|', 1, true)
  local p = tonumber(string.sub(m, 1, sep - 1))
  local id = string.sub(m, sep + 1)
  local hash = ARGV[5] .. id
  local created = redis.call('HGET', hash, 'created')
  if created then
    local eid = redis.call('XADD', KEYS[2 + p], '*', 'id', id, 'c', created)
    redis.call('HSET', hash, 'entry', p .. '|' .. eid)
  end
  redis.call('ZREM', KEYS[1], m)
end
if ARGV[6] == '1' then
  for p = 0, 2 do
    if redis.call('EXISTS', KEYS[2 + p]) == 0 then
      redis.pcall('XGROUP', 'CREATE', KEYS[2 + p], ARGV[3], '0', 'MKSTREAM')
    end
  end
end
-- The creation time of the next undelivered entry of `key`, or nil. An
-- empty stream costs one XLEN (most streams are, most of the time).
local function next_created(key)
  if redis.call('XLEN', key) == 0 then return nil end
  local groups = redis.pcall('XINFO', 'GROUPS', key)
  local last
  if type(groups) == 'table' and groups.err == nil then
    for _, g in ipairs(groups) do
      local name, delivered
      for k = 1, #g, 2 do
        if g[k] == 'name' then name = g[k + 1] end
        if g[k] == 'last-delivered-id' then delivered = g[k + 1] end
      end
      if name == ARGV[3] then last = delivered end
    end
  end
  if last == nil then
    redis.pcall('XGROUP', 'CREATE', key, ARGV[3], '0', 'MKSTREAM')
    last = '0-0'
  end
  local next_entry = redis.call('XRANGE', key, '(' .. last, '+', 'COUNT', 1)
  if #next_entry == 0 then return nil end
  local fields = next_entry[1][2]
  local c = now
  for k = 1, #fields, 2 do
    if fields[k] == 'c' then c = tonumber(fields[k + 1]) end
  end
  return c
end
local promotion = tonumber(ARGV[2])
local best_p, best_rank, best_c
for p = 0, 2 do
  local c = next_created(KEYS[2 + p])
  if c then
    local waited = math.max(0, now - c)
    local rank = math.max(0, p - math.floor(waited / promotion))
    if best_p == nil or rank < best_rank or (rank == best_rank and c < best_c) then
      best_p, best_rank, best_c = p, rank, c
    end
  end
end
if best_p == nil then return nil end
local read = redis.call('XREADGROUP', 'GROUP', ARGV[3], ARGV[4], 'COUNT', 1,
                        'STREAMS', KEYS[2 + best_p], '>')
if not read then return nil end
local entry = read[1][2][1]
local fields = entry[2]
local id = ''
for k = 1, #fields, 2 do
  if fields[k] == 'id' then id = fields[k + 1] end
end
local h = redis.call('HMGET', ARGV[5] .. id, 'doc', 'rev', 'entry', 'input')
return {best_p, entry[1], id, h[1], h[2], h[3], h[4]}
)lua";

}  // namespace inferd::jobs::internal
