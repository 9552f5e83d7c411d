import { createHash } from 'node:crypto';

/** A Lua script and its SHA-1, for EVALSHA. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

/** A script with its SHA-1 computed once. */
export function luaScript(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source, 'utf8').digest('hex') };
}

/**
 * Conditional writes. KEYS: seq, records, origins, log, digests. ARGV: prefix,
 * then 6 per write: key, leaf, expected etag ('' = absent), leaf line
 * ('' = purge), origin, record JSON after its opening brace. Returns 1 or 0
 * per write. Each write checks its key's current etag (from its leaf line)
 * and changes nothing unless it matches; the whole call runs atomically.
 */
export const APPLY_SCRIPT = luaScript(
  'apply',
  `
local seqKey, records, origins, log, digests = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local p = ARGV[1]
local out = {}
local function invalidate(leaf)
  local fields = {}
  for d = 0, #leaf do fields[#fields + 1] = string.sub(leaf, 1, d) end
  redis.call('HDEL', digests, unpack(fields))
end
for i = 2, #ARGV, 6 do
  local key, leaf, expected, line, origin, rest = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  local leafKey = p .. ':leaf:' .. leaf
  local old = redis.call('HGET', leafKey, key)
  local current = ''
  if old then current = string.sub(old, 42) end
  if current ~= expected then
    out[#out + 1] = 0
  else
    out[#out + 1] = 1
    if old then
      local oldOrigin = redis.call('HGET', origins, key)
      if oldOrigin then redis.call('ZREM', log .. ':' .. oldOrigin, key) end
    end
    if line == '' then
      if old then
        redis.call('INCR', seqKey)
        redis.call('HDEL', leafKey, key)
        redis.call('HDEL', records, key)
        redis.call('HDEL', origins, key)
        redis.call('ZREM', log, key)
        invalidate(leaf)
      end
    else
      local seq = redis.call('INCR', seqKey)
      redis.call('HSET', leafKey, key, line)
      redis.call('HSET', records, key, '{"seq":' .. string.format('%d', seq) .. ',' .. rest)
      redis.call('HSET', origins, key, origin)
      redis.call('ZADD', log, seq, key)
      redis.call('ZADD', log .. ':' .. origin, seq, key)
      invalidate(leaf)
    end
  end
end
return out
`,
);

/**
 * One page of changes. KEYS: seq, records, the log to read (global or one
 * origin's). ARGV: since, limit. Returns head, remaining, then key and record
 * JSON (false if missing) per record, ascending seq.
 */
export const SCAN_SCRIPT = luaScript(
  'scan',
  `
local after = '(' .. ARGV[1]
local members = redis.call('ZRANGEBYSCORE', KEYS[3], after, '+inf', 'LIMIT', 0, ARGV[2])
local total = redis.call('ZCOUNT', KEYS[3], after, '+inf')
local out = { tonumber(redis.call('GET', KEYS[1]) or '0'), total - #members }
for _, key in ipairs(members) do
  out[#out + 1] = key
  out[#out + 1] = redis.call('HGET', KEYS[2], key)
end
return out
`,
);

/**
 * Merkle digests, computed on the server (see the ReplicaStore contract).
 * KEYS: digests (the cache). ARGV: prefix, leaf depth, then the prefixes.
 * Leaf lines are "<40 hex> <40 hex>" with distinct key hashes, so Lua's string
 * order (strcoll) equals byte order whatever the server's locale.
 */
export const DIGEST_SCRIPT = luaScript(
  'digest',
  `
local cache, p, depth = KEYS[1], ARGV[1], tonumber(ARGV[2])
local hex = '0123456789abcdef'
local function digest(prefix)
  local known = redis.call('HGET', cache, prefix)
  if known then return known end
  local parts = {}
  if #prefix == depth then
    local lines = redis.call('HVALS', p .. ':leaf:' .. prefix)
    table.sort(lines)
    for i = 1, #lines do parts[i] = lines[i] .. '\\n' end
  else
    for i = 1, 16 do parts[i] = digest(prefix .. string.sub(hex, i, i)) end
  end
  known = redis.sha1hex(table.concat(parts))
  redis.call('HSET', cache, prefix, known)
  return known
end
local out = {}
for i = 3, #ARGV do out[#out + 1] = digest(ARGV[i]) end
return out
`,
);

/** Leaf entries. ARGV: prefix, then the leaves. Returns key and leaf line, flat. */
export const ENTRIES_SCRIPT = luaScript(
  'entries',
  `
local out = {}
for i = 2, #ARGV do
  local flat = redis.call('HGETALL', ARGV[1] .. ':leaf:' .. ARGV[i])
  for j = 1, #flat do out[#out + 1] = flat[j] end
end
return out
`,
);
