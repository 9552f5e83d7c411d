// @ts-check
// Shape checks for the region's /replica API. They mirror core's rules
// (checkKey, the record schema in replica-record.ts, checkNodes) so the
// region refuses what every other ReplicaStore refuses. Each failure throws a
// BadInput whose message names the offending field; the API answers it with 400.
/** Longest key in UTF-8 bytes (core's MAX_KEY_BYTES). */
const MAX_KEY_BYTES = 1024;
// Control characters would break line-based digests and logs.
const CONTROL = /[\u0000-\u001f\u007f]/;
const HLC = /^\d{15}\.\d{6}\..+$/;
const ETAG = /^[0-9a-f]{40}$/;
// A tree node name: `<hex>` or `<hex>/<bits>` (core's parseNode has the same rules).
const NODE = /^([0-9a-f]{0,16})(?:\/([1-9][0-9]?))?$/;
const MAX_NODE_BITS = 64;

/** Input the API refuses with 400. */
export class BadInput extends Error {}

/** @param {unknown} value */
function show(value) {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** @param {unknown} value */
function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** @param {unknown} key @param {string} where @returns {string} */
export function checkKey(key, where) {
  if (typeof key !== 'string') throw new BadInput(`${where} must be a string, got ${key === null ? 'null' : typeof key}`);
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes === 0 || bytes > MAX_KEY_BYTES) throw new BadInput(`${where} must be 1 to ${MAX_KEY_BYTES} UTF-8 bytes, got ${bytes}`);
  if (CONTROL.test(key)) throw new BadInput(`${where} ${show(key)} contains a control character`);
  return key;
}

/** @param {unknown} value @param {string} where */
function checkHlc(value, where) {
  if (typeof value !== 'string' || !HLC.test(value)) throw new BadInput(`${where} ${show(value)} is not an HLC timestamp`);
}

/** @param {unknown} value @param {string} where */
function checkRegion(value, where) {
  if (typeof value !== 'string' || value.length < 1 || value.length > 256) throw new BadInput(`${where} must be a region id of 1 to 256 characters, got ${show(value)}`);
}

/** @param {unknown} input @param {string} where */
function checkVersion(input, where) {
  if (!isObject(input)) throw new BadInput(`${where} must be an object`);
  const v = /** @type {Record<string, unknown>} */ (input);
  if (typeof v.deleted !== 'boolean') throw new BadInput(`${where}.deleted must be a boolean`);
  checkHlc(v.version, `${where}.version`);
  checkRegion(v.origin, `${where}.origin`);
}

/**
 * @param {unknown} input @param {string} where @param {string} key the write's key
 * @returns {import('./replica-index.mjs').IncomingRecord}
 */
function checkRecord(input, where, key) {
  checkVersion(input, where);
  const r = /** @type {Record<string, unknown>} */ (input);
  checkKey(r.key, `${where}.key`);
  if (r.key !== key) throw new BadInput(`${where}.key ${show(r.key)} differs from the write's key ${show(key)}`);
  if (!isObject(r.vv)) throw new BadInput(`${where}.vv must be an object (region -> HLC timestamp)`);
  for (const [region, version] of Object.entries(/** @type {object} */ (r.vv))) {
    checkRegion(region, `${where}.vv key`);
    checkHlc(version, `${where}.vv[${show(region)}]`);
  }
  if (r.conflicts !== undefined) {
    if (!Array.isArray(r.conflicts)) throw new BadInput(`${where}.conflicts must be an array`);
    r.conflicts.forEach((c, i) => checkVersion(c, `${where}.conflicts[${i}]`));
  }
  if (typeof r.etag !== 'string' || !ETAG.test(r.etag)) throw new BadInput(`${where}.etag must be 40 lower-case hex digits (recordEtag), got ${show(r.etag)}`);
  return /** @type {any} */ (r);
}

/** @param {unknown} keys @returns {string[]} */
export function checkKeys(keys) {
  if (!Array.isArray(keys)) throw new BadInput('keys must be an array of strings');
  return keys.map((key, i) => checkKey(key, `keys[${i}]`));
}

/**
 * The whole batch is checked before any of it is applied: a bad batch changes nothing.
 * @param {unknown} writes @returns {import('./replica-index.mjs').Write[]}
 */
export function checkWrites(writes) {
  if (!Array.isArray(writes)) throw new BadInput('writes must be an array');
  return writes.map((w, i) => {
    if (!isObject(w)) throw new BadInput(`writes[${i}] must be an object`);
    const key = checkKey(w.key, `writes[${i}].key`);
    if (w.expected !== null && (typeof w.expected !== 'string' || !ETAG.test(w.expected))) {
      throw new BadInput(`writes[${i}].expected must be an etag (40 hex digits) or null, got ${show(w.expected)}`);
    }
    if (w.record === undefined) throw new BadInput(`writes[${i}].record must be a record or null`);
    const record = w.record === null ? null : checkRecord(w.record, `writes[${i}].record`, key);
    return { key, record, expected: w.expected };
  });
}

/**
 * Names of anti-entropy tree nodes, parsed: lower-case hex digits, with
 * "/<bits>" when the bits (at most 64) are not a multiple of 4, the unused
 * bits zero.
 * @param {unknown} nodes @returns {Array<{ hex: string, bits: number }>}
 */
export function checkNodes(nodes) {
  if (!Array.isArray(nodes)) throw new BadInput('nodes must be an array of Merkle node names');
  return nodes.map((name) => {
    const match = typeof name === 'string' ? NODE.exec(name) : null;
    const hex = match?.[1] ?? '';
    const bits = match?.[2] === undefined ? hex.length * 4 : Number(match[2]);
    const partial = bits % 4;
    const canonical =
      match !== null &&
      (match[2] === undefined || (bits <= MAX_NODE_BITS && partial !== 0 && hex.length === Math.ceil(bits / 4) && parseInt(hex.slice(-1), 16) % (1 << (4 - partial)) === 0));
    if (!canonical) throw new BadInput(`node ${show(name)} is not a Merkle node name (lower-case hex, "/<bits>" when not a multiple of 4, at most ${MAX_NODE_BITS} bits, unused bits zero)`);
    return { hex, bits };
  });
}

/**
 * Query of GET /replica/scan.
 * @param {URLSearchParams} query @returns {{ since: number, origin?: string, limit: number }}
 */
export function checkScan(query) {
  const since = query.get('since') ?? '';
  const limit = query.get('limit') ?? '';
  const origin = query.get('origin');
  if (!/^\d{1,16}$/.test(since) || !Number.isSafeInteger(Number(since))) throw new BadInput(`scan since must be a non-negative integer, got ${show(since)}`);
  if (!/^[1-9]\d{0,14}$/.test(limit)) throw new BadInput(`scan limit must be a positive integer, got ${show(limit)}`);
  if (origin !== null) checkRegion(origin, 'scan origin');
  return { since: Number(since), limit: Number(limit), ...(origin !== null ? { origin } : {}) };
}
