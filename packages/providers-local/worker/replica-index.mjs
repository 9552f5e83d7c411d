// @ts-check
// A region's replicated data, in memory: records by key, a change log ordered
// by sequence for scans, and the anti-entropy tree (version 2: XOR fingerprints
// and counts per node). It follows core's ReplicaIndex
// (packages/core/src/sync/replica-index.ts), the reference; the ReplicaStore
// conformance suite checks that both answer alike. Etags are computed by the
// client (core's recordEtag) and arrive with each record.
import { createHash } from 'node:crypto';

// Records are grouped by the first 12 bits of their key hash (4096 leaves, as core's MERKLE_LEAF_DEPTH of 3 hex
// digits), with every summary from the root down to the leaves kept current. Only the layout: answers do not depend on it.
const LEAF_BITS = 12;
const EMPTY_FINGERPRINT = '0000000000000000';

/** @typedef {{ value?: unknown, deleted: boolean, version: string, origin: string }} Version */
/** @typedef {Version & { key: string, vv: Record<string, string>, conflicts?: Version[], etag: string }} IncomingRecord */
/** @typedef {IncomingRecord & { seq: number }} StoredRecord */
/** @typedef {{ key: string, record: IncomingRecord | null, expected: string | null }} Write */

/** @typedef {{ hex: string, bits: number }} TreeNode a node: the first `bits` bits of a key hash, as hex */

/** @param {string} text */
function sha1(text) {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

/** @param {string} hex a key hash or a node's hex @returns {number} the storage leaf it starts in */
function leafNumber(hex) {
  return parseInt(hex.slice(0, LEAF_BITS / 4).padEnd(LEAF_BITS / 4, '0'), 16);
}

/** @param {string} hash @param {TreeNode} node @returns {boolean} the key hash starts with the node's bits */
function hashInNode(hash, node) {
  const whole = node.bits >> 2;
  if (hash.slice(0, whole) !== node.hex.slice(0, whole)) return false;
  const shift = 4 - (node.bits % 4);
  return shift === 4 || parseInt(hash[whole] ?? '0', 16) >> shift === parseInt(node.hex[whole] ?? '0', 16) >> shift;
}

/** @param {number} n */
const hex8 = (n) => n.toString(16).padStart(8, '0');

/**
 * Summaries of every node down to the leaves, kept current: XOR is its own
 * inverse, so a write takes the old fingerprint out and puts the new one in
 * along one path. Node `i` of level `l` sits at (1 << l) - 1 + i.
 */
class SummaryTree {
  #high = new Uint32Array((2 << LEAF_BITS) - 1);
  #low = new Uint32Array((2 << LEAF_BITS) - 1);
  #count = new Uint32Array((2 << LEAF_BITS) - 1);

  /** @param {number} leaf @param {string} etag @param {1 | -1} delta */
  change(leaf, etag, delta) {
    const high = parseInt(etag.slice(0, 8), 16);
    const low = parseInt(etag.slice(8, 16), 16);
    for (let level = 0; level <= LEAF_BITS; level++) {
      const at = (1 << level) - 1 + (leaf >>> (LEAF_BITS - level));
      this.#high[at] = /** @type {number} */ (this.#high[at]) ^ high;
      this.#low[at] = /** @type {number} */ (this.#low[at]) ^ low;
      this.#count[at] = /** @type {number} */ (this.#count[at]) + delta;
    }
  }

  /** @param {number} level @param {number} index @returns {[string, number]} */
  summary(level, index) {
    const at = (1 << level) - 1 + index;
    return [hex8(/** @type {number} */ (this.#high[at])) + hex8(/** @type {number} */ (this.#low[at])), /** @type {number} */ (this.#count[at])];
  }
}

/** @param {string} a @param {string} b 16 hex digits each @returns {string} their XOR */
function xor(a, b) {
  return hex8((parseInt(a.slice(0, 8), 16) ^ parseInt(b.slice(0, 8), 16)) >>> 0) + hex8((parseInt(a.slice(8), 16) ^ parseInt(b.slice(8), 16)) >>> 0);
}

/**
 * The record as stored: known fields only, vector keys sorted, no value on a
 * tombstone, no empty conflict list (what core's `toRecord` keeps).
 * @param {IncomingRecord} record @param {number} seq @returns {StoredRecord}
 */
function toStored(record, seq) {
  // fromEntries defines own properties, so even a region named "__proto__" stays data.
  /** @type {Record<string, string>} */
  const vv = Object.fromEntries(Object.entries(record.vv).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  /** @type {StoredRecord} */
  const out = { key: record.key, deleted: record.deleted, version: record.version, origin: record.origin, vv, seq, etag: record.etag };
  if (!record.deleted && 'value' in record) out.value = record.value;
  if (record.conflicts && record.conflicts.length > 0) {
    out.conflicts = record.conflicts.map((c) => ({ ...('value' in c ? { value: c.value } : {}), deleted: c.deleted, version: c.version, origin: c.origin }));
  }
  return out;
}

/** Records of one region with compare-and-set writes, scans by sequence and anti-entropy tree summaries. */
export class ReplicaIndex {
  /** @type {Map<string, StoredRecord>} */
  #records = new Map();
  /** @type {Array<Map<string, string> | undefined>} per storage leaf (its number): key -> key hash */
  #leaves = [];
  #tree = new SummaryTree();
  // Appended on every write; an entry whose seq no longer matches its record is stale and skipped.
  /** @type {Array<{ seq: number, key: string }>} */
  #log = [];
  #seq = 0;

  /** @param {readonly string[]} keys @returns {Array<StoredRecord | null>} */
  getMany(keys) {
    return keys.map((key) => this.#records.get(key) ?? null);
  }

  /**
   * Each write on its own: applied when the key's current etag is `expected`
   * (null: absent), else rejected with nothing changed. Runs synchronously, so
   * no other request interleaves between a check and its write.
   * @param {readonly Write[]} writes
   */
  apply(writes) {
    /** @type {{ applied: string[], rejected: string[] }} */
    const result = { applied: [], rejected: [] };
    for (const write of writes) {
      if ((this.#records.get(write.key)?.etag ?? null) !== write.expected) {
        result.rejected.push(write.key);
        continue;
      }
      if (write.record === null) this.#delete(write.key);
      else this.#set(toStored(write.record, this.#seq + 1));
      result.applied.push(write.key);
    }
    return result;
  }

  /** @param {{ since: number, origin?: string, limit: number }} options */
  scan({ since, origin, limit }) {
    /** @type {StoredRecord[]} */
    const records = [];
    let remaining = 0;
    for (let i = this.#firstAfter(since); i < this.#log.length; i++) {
      const entry = /** @type {{ seq: number, key: string }} */ (this.#log[i]);
      const record = this.#records.get(entry.key);
      if (!record || record.seq !== entry.seq) continue;
      if (origin !== undefined && record.origin !== origin) continue;
      if (records.length < limit) records.push(record);
      else remaining++;
    }
    return { records, remaining, head: this.#seq };
  }

  /** @param {readonly TreeNode[]} nodes @returns {Array<[string, number]>} */
  digest(nodes) {
    return nodes.map((node) => {
      if (node.bits <= LEAF_BITS) return this.#tree.summary(node.bits, leafNumber(node.hex) >>> (LEAF_BITS - node.bits));
      // Below the leaves: summed from the leaf's records.
      let fingerprint = EMPTY_FINGERPRINT;
      let count = 0;
      for (const [key, hash] of this.#leaves[leafNumber(node.hex)] ?? []) {
        if (!hashInNode(hash, node)) continue;
        fingerprint = xor(fingerprint, /** @type {StoredRecord} */ (this.#records.get(key)).etag.slice(0, 16));
        count++;
      }
      return [fingerprint, count];
    });
  }

  /** @param {readonly TreeNode[]} nodes @returns {Array<[string, string]>} [key, fingerprint] of every record in the nodes */
  entries(nodes) {
    /** @type {Array<[string, string]>} */
    const out = [];
    for (const node of nodes) {
      const first = leafNumber(node.hex);
      const last = node.bits >= LEAF_BITS ? first : first + (1 << (LEAF_BITS - node.bits)) - 1;
      for (let leaf = first; leaf <= last; leaf++) {
        for (const [key, hash] of this.#leaves[leaf] ?? []) {
          if (node.bits <= LEAF_BITS || hashInNode(hash, node)) out.push([key, /** @type {StoredRecord} */ (this.#records.get(key)).etag.slice(0, 16)]);
        }
      }
    }
    return out;
  }

  /** @param {StoredRecord} record */
  #set(record) {
    const hash = sha1(record.key);
    const leaf = leafNumber(hash);
    const previous = this.#records.get(record.key);
    if (previous) this.#tree.change(leaf, previous.etag, -1);
    this.#tree.change(leaf, record.etag, 1);
    (this.#leaves[leaf] ??= new Map()).set(record.key, hash);
    this.#records.set(record.key, record);
    this.#seq = Math.max(this.#seq, record.seq);
    this.#log.push({ seq: record.seq, key: record.key });
    this.#compact();
  }

  /** @param {string} key */
  #delete(key) {
    const record = this.#records.get(key);
    if (!record) return;
    this.#records.delete(key);
    const leaf = leafNumber(sha1(key));
    this.#tree.change(leaf, record.etag, -1);
    this.#leaves[leaf]?.delete(key);
    // A purge is a change too: the sequence moves so `head` tells watchers something happened.
    this.#seq += 1;
  }

  /** @param {number} since index of the first log entry with a larger seq */
  #firstAfter(since) {
    let lo = 0;
    let hi = this.#log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (/** @type {{ seq: number }} */ (this.#log[mid]).seq <= since) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // Keeps the log within twice the live records so memory stays proportional to the data.
  #compact() {
    if (this.#log.length < 1024 || this.#log.length < 2 * this.#records.size) return;
    this.#log = [...this.#records.values()].sort((a, b) => a.seq - b.seq).map((r) => ({ seq: r.seq, key: r.key }));
  }
}
