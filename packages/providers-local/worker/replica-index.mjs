// @ts-check
// A region's replicated data, in memory: records by key, a change log ordered
// by sequence for scans, and Merkle leaves with cached digests. It follows
// core's ReplicaIndex (packages/core/src/sync/replica-index.ts), the reference;
// the ReplicaStore conformance suite checks that both answer alike. Etags are
// computed by the client (core's recordEtag) and arrive with each record.
import { createHash } from 'node:crypto';

const HEX = '0123456789abcdef';

/** @typedef {{ value?: unknown, deleted: boolean, version: string, origin: string }} Version */
/** @typedef {Version & { key: string, vv: Record<string, string>, conflicts?: Version[], etag: string }} IncomingRecord */
/** @typedef {IncomingRecord & { seq: number }} StoredRecord */
/** @typedef {{ key: string, record: IncomingRecord | null, expected: string | null }} Write */

/** @param {string} text */
function sha1(text) {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

/** @param {readonly string[]} lines "<keyHash> <etag>" of one leaf, any order */
function leafDigest(lines) {
  return sha1([...lines].sort().map((line) => `${line}\n`).join(''));
}

const EMPTY_LEAF_DIGEST = leafDigest([]);

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

/** Records of one region with compare-and-set writes, scans by sequence and Merkle digests. */
export class ReplicaIndex {
  /** @type {Map<string, StoredRecord>} */
  #records = new Map();
  /** @type {Map<string, Map<string, string>>} leaf -> key -> "<keyHash> <etag>" */
  #leaves = new Map();
  /** @type {Map<string, string>} */
  #digests = new Map();
  // Appended on every write; an entry whose seq no longer matches its record is stale and skipped.
  /** @type {Array<{ seq: number, key: string }>} */
  #log = [];
  #seq = 0;
  #leafDepth;

  /** @param {number} leafDepth hex digits of the key hash that name a leaf: core's MERKLE_LEAF_DEPTH, given by the provider */
  constructor(leafDepth) {
    this.#leafDepth = leafDepth;
  }

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

  /** @param {readonly string[]} prefixes @returns {Record<string, string>} */
  digest(prefixes) {
    /** @type {Map<string, string>} */
    const memo = new Map();
    /** @param {string} prefix @returns {string} */
    const digest = (prefix) => {
      if (prefix.length === this.#leafDepth) return this.#leafDigest(prefix);
      let known = memo.get(prefix);
      if (known === undefined) {
        known = sha1([...HEX].map((d) => digest(prefix + d)).join(''));
        memo.set(prefix, known);
      }
      return known;
    };
    /** @type {Record<string, string>} */
    const out = {};
    for (const prefix of prefixes) out[prefix] = digest(prefix);
    return out;
  }

  /** @param {readonly string[]} leaves @returns {Array<{ key: string, etag: string }>} */
  entries(leaves) {
    const out = [];
    for (const leaf of leaves) {
      for (const key of this.#leaves.get(leaf)?.keys() ?? []) out.push({ key, etag: /** @type {StoredRecord} */ (this.#records.get(key)).etag });
    }
    return out;
  }

  /** @param {string} leaf */
  #leafDigest(leaf) {
    let digest = this.#digests.get(leaf);
    if (digest === undefined) {
      const lines = this.#leaves.get(leaf);
      digest = lines ? leafDigest([...lines.values()]) : EMPTY_LEAF_DIGEST;
      this.#digests.set(leaf, digest);
    }
    return digest;
  }

  /** @param {StoredRecord} record */
  #set(record) {
    const hash = sha1(record.key);
    const leaf = hash.slice(0, this.#leafDepth);
    let lines = this.#leaves.get(leaf);
    if (!lines) this.#leaves.set(leaf, (lines = new Map()));
    lines.set(record.key, `${hash} ${record.etag}`);
    this.#digests.delete(leaf);
    this.#records.set(record.key, record);
    this.#seq = Math.max(this.#seq, record.seq);
    this.#log.push({ seq: record.seq, key: record.key });
    this.#compact();
  }

  /** @param {string} key */
  #delete(key) {
    if (!this.#records.delete(key)) return;
    const leaf = sha1(key).slice(0, this.#leafDepth);
    this.#leaves.get(leaf)?.delete(key);
    this.#digests.delete(leaf);
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
