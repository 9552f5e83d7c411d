import { luaScript } from './lua-scripts.js';

// The scripts read a stored record's epoch and region from the start of its JSON (session-record-codec.ts writes
// them first) instead of decoding it with cjson: Redis's cjson refuses some strings a record may hold (a lone
// surrogate in metadata, escaped by JSON.stringify). Epochs are safe integers: Lua's doubles hold them exactly.
const HEAD = `'^{"epoch":(%d+),"region":"([a-z0-9][a-z0-9%-]*)",'`;

/**
 * A conditional put, check and write in one atomic step. KEYS: the record, the
 * id index, the new region's index. ARGV: region index prefix, id, record
 * JSON, its epoch, its region, ifAbsent ('1' or ''), expected epoch ('' =
 * none). The rule is core's `putConflict`: refused when ifAbsent and a record
 * exists; when an expected epoch is given and there is no record or its epoch
 * differs; when a record exists with a higher epoch than the new one (fencing,
 * whatever the conditions). Returns {1} written, {0} refused with no record,
 * {0, stored epoch} refused, {-1} the stored value is not a record.
 */
export const PUT_SESSION_SCRIPT = luaScript(
  'session-put',
  `
local recordKey, ids, newIndex = KEYS[1], KEYS[2], KEYS[3]
local regionPrefix, id, json, epoch, region, ifAbsent, expected = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
local current = redis.call('GET', recordKey)
local storedEpoch, storedRegion
if current then
  local e, r = string.match(current, ${HEAD})
  if not e then return { -1 } end
  storedEpoch, storedRegion = tonumber(e), r
end
if ifAbsent == '1' and current then return { 0, storedEpoch } end
if expected ~= '' then
  if not current then return { 0 } end
  if storedEpoch ~= tonumber(expected) then return { 0, storedEpoch } end
end
if current and epoch < storedEpoch then return { 0, storedEpoch } end
redis.call('SET', recordKey, json)
redis.call('ZADD', ids, 0, id)
if storedRegion and storedRegion ~= region then redis.call('ZREM', regionPrefix .. storedRegion, id) end
redis.call('ZADD', newIndex, 0, id)
return { 1 }
`,
);

/**
 * Deletes a record and its index entries atomically. KEYS: the record, the id
 * index. ARGV: region index prefix, id. Returns 1 deleted, 0 absent, -1 the
 * stored value is not a record (left alone).
 */
export const DELETE_SESSION_SCRIPT = luaScript(
  'session-delete',
  `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local _, region = string.match(current, ${HEAD})
if not region then return -1 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', ARGV[1] .. region, ARGV[2])
return 1
`,
);

/**
 * One page, consistent (nothing changes between reading the ids and their
 * records). KEYS: the index to page (all ids or one region's). ARGV: record
 * key prefix, start ('-' or '(' .. after), limit. Returns 1 when more follow
 * (else 0), then id and record JSON (false if missing) per record, id order.
 */
export const LIST_SESSIONS_SCRIPT = luaScript(
  'session-list',
  `
local limit = tonumber(ARGV[3])
local ids = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[2], '+', 'LIMIT', 0, limit + 1)
local out = { 0 }
if #ids > limit then
  out[1] = 1
  ids[#ids] = nil
end
for _, id in ipairs(ids) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('GET', ARGV[1] .. id)
end
return out
`,
);
