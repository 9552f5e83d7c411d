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

// Lua shared by the tree scripts. A node arrives as its hex digits and its bits (parsed and checked by the client).
// Fingerprints are 16 hex digits, XORed as two 32-bit halves (LuaBitOp wraps numbers modulo 2^32). A leaf line is
// "<key hash, 40 hex> <etag, 40 hex>": the record's fingerprint is the etag's first 16 digits (columns 42 to 57).
const TREE_HELPERS = `
local p, depth = ARGV[1], tonumber(ARGV[2])
local leafBits = depth * 4
local hex = '0123456789abcdef'
local function digitOf(s, i) return tonumber(string.sub(s, i, i), 16) end
-- True when the key hash starts with the node's bits.
local function inNode(hash, nodeHex, bits)
  local whole = math.floor(bits / 4)
  if string.sub(hash, 1, whole) ~= string.sub(nodeHex, 1, whole) then return false end
  local partial = bits % 4
  if partial == 0 then return true end
  local scale = 2 ^ (4 - partial)
  return math.floor(digitOf(hash, whole + 1) / scale) == math.floor(digitOf(nodeHex, whole + 1) / scale)
end
local function leafName(n) return string.format('%0' .. depth .. 'x', n) end
local function leafNumber(nodeHex) return tonumber(string.sub(nodeHex .. string.rep('0', depth), 1, depth), 16) end
`;

/**
 * Summaries of anti-entropy tree nodes (tree version 2, see the ReplicaStore
 * contract), computed on the server. KEYS: digests (the cache). ARGV: prefix,
 * leaf depth, then hex and bits per node. Returns fingerprint and count per
 * node, flat. Summaries of whole-digit nodes down to the leaves are cached as
 * "<fingerprint>:<count>" under the fields the apply script clears along a
 * written key's path (the same fields tree version 1 used, so a writer of
 * either version keeps the cache true; a value in the old form is recomputed).
 * Nodes between whole digits are combined from their cached children; nodes
 * below the leaves from the leaf's lines.
 */
export const DIGEST_SCRIPT = luaScript(
  'digest',
  `${TREE_HELPERS}
local cache = KEYS[1]
local function halves(fp) return tonumber(string.sub(fp, 1, 8), 16), tonumber(string.sub(fp, 9, 16), 16) end
local function whole(prefix)
  local known = redis.call('HGET', cache, prefix)
  if known and string.match(known, '^%x+:%d+$') and string.sub(known, 17, 17) == ':' then
    return string.sub(known, 1, 16), tonumber(string.sub(known, 18))
  end
  local h, l, n = 0, 0, 0
  if #prefix == depth then
    local lines = redis.call('HVALS', p .. ':leaf:' .. prefix)
    for i = 1, #lines do
      local eh, el = halves(string.sub(lines[i], 42, 57))
      h, l = bit.bxor(h, eh), bit.bxor(l, el)
    end
    n = #lines
  else
    for i = 1, 16 do
      local fp, c = whole(prefix .. string.sub(hex, i, i))
      local ch, cl = halves(fp)
      h, l, n = bit.bxor(h, ch), bit.bxor(l, cl), n + c
    end
  end
  local fp = bit.tohex(h, 8) .. bit.tohex(l, 8)
  redis.call('HSET', cache, prefix, fp .. ':' .. n)
  return fp, n
end
local function summary(nodeHex, bits)
  local partial = bits % 4
  if bits <= leafBits and partial == 0 then return whole(nodeHex) end
  local h, l, n = 0, 0, 0
  if bits <= leafBits then
    -- Between whole digits: the children of the enclosing whole-digit node whose digit starts with the node's bits.
    local parent = string.sub(nodeHex, 1, #nodeHex - 1)
    local scale = 2 ^ (4 - partial)
    local top = math.floor(digitOf(nodeHex, #nodeHex) / scale)
    for d = 0, 15 do
      if math.floor(d / scale) == top then
        local fp, c = whole(parent .. string.sub(hex, d + 1, d + 1))
        local ch, cl = halves(fp)
        h, l, n = bit.bxor(h, ch), bit.bxor(l, cl), n + c
      end
    end
  else
    local lines = redis.call('HVALS', p .. ':leaf:' .. string.sub(nodeHex, 1, depth))
    for i = 1, #lines do
      if inNode(lines[i], nodeHex, bits) then
        local eh, el = halves(string.sub(lines[i], 42, 57))
        h, l, n = bit.bxor(h, eh), bit.bxor(l, el), n + 1
      end
    end
  end
  return bit.tohex(h, 8) .. bit.tohex(l, 8), n
end
local out = {}
for i = 3, #ARGV, 2 do
  local fp, n = summary(ARGV[i], tonumber(ARGV[i + 1]))
  out[#out + 1] = fp
  out[#out + 1] = n
end
return out
`,
);

/**
 * The records of tree nodes. ARGV: prefix, leaf depth, then hex and bits per
 * node. Returns key and fingerprint per record, flat: the leaves a node spans,
 * or the lines of its leaf that fall in it when it is deeper than the leaves.
 */
export const ENTRIES_SCRIPT = luaScript(
  'entries',
  `${TREE_HELPERS}
local out = {}
for i = 3, #ARGV, 2 do
  local nodeHex, bits = ARGV[i], tonumber(ARGV[i + 1])
  local first = leafNumber(nodeHex)
  local last = first
  if bits < leafBits then last = first + 2 ^ (leafBits - bits) - 1 end
  for leaf = first, last do
    local flat = redis.call('HGETALL', p .. ':leaf:' .. leafName(leaf))
    for j = 1, #flat, 2 do
      if bits <= leafBits or inNode(flat[j + 1], nodeHex, bits) then
        out[#out + 1] = flat[j]
        out[#out + 1] = string.sub(flat[j + 1], 42, 57)
      end
    end
  end
end
return out
`,
);
