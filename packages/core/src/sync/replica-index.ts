import type { ApplyResult, MerkleSummary, ReplicaEntry, ReplicaWrite, ScanOptions, ScanPage, StoredRecord } from '../contracts/replica-store.js';
import { ChangeLog, type ChangeEntry } from './change-log.js';
import { cloneJson } from './json-clone.js';
import { checkNodes, EMPTY_SUMMARY, fingerprintOf, hashInNode, parseNode, xorFingerprints, type MerkleNode } from './merkle.js';
import { checkKeys, checkScan, checkWrites } from './replica-input.js';
import { keyHash, recordEtag, toRecord } from './replica-record.js';
import { LEAF_BITS, SummaryTree } from './summary-tree.js';

/** What a storage leaf keeps of a key. */
interface LeafEntry {
  hash: string;
  fingerprint: string;
}

/** A change the index accepted: the stored record, or a purge. */
export type IndexChange = { key: string; stored: StoredRecord } | { key: string; stored: null };

/**
 * The in-memory heart of the memory and file stores: records by key, a change
 * log ordered by sequence for `scan`, and the anti-entropy tree: keys grouped
 * by storage leaf, with every summary down to the leaves kept current, so a
 * walk costs what differs, not the number of keys.
 */
export class ReplicaIndex {
  readonly #records = new Map<string, StoredRecord>();
  // Per storage leaf (its number): key -> its hash and its record's fingerprint.
  readonly #leaves = new Array<Map<string, LeafEntry> | undefined>(1 << LEAF_BITS).fill(undefined);
  readonly #tree = new SummaryTree();
  readonly #log = new ChangeLog();
  // Each key's current entry in the log.
  readonly #changes = new Map<string, ChangeEntry>();
  #seq = 0;

  /** Loads records read back from disk (any order). */
  load(records: readonly StoredRecord[]): void {
    for (const record of [...records].sort((a, b) => a.seq - b.seq)) this.#set(record);
  }

  /** Current record of a key. */
  get(key: string): StoredRecord | undefined {
    return this.#records.get(key);
  }

  /** Copies of the current records for `keys` (`lent`: the records themselves, for a caller that only reads them). */
  getMany(keys: readonly string[], lent = false): Array<StoredRecord | undefined> {
    checkKeys(keys);
    return keys.map((key) => {
      const found = this.#records.get(key);
      return found && !lent ? cloneStored(found) : found;
    });
  }

  /** Validates a batch before anything is written, so a bad batch changes nothing. */
  validate(writes: readonly ReplicaWrite[]): void {
    checkWrites(writes);
  }

  /**
   * Decides one write against the current state: the change to make, or
   * `undefined` when its precondition fails. Does not change anything.
   */
  prepare(write: ReplicaWrite): IndexChange | undefined {
    const current = this.#records.get(write.key);
    if ((current?.etag ?? null) !== write.expected) return undefined;
    if (write.record === null) return { key: write.key, stored: null };
    // One new object (toRecord's fields, then seq and etag) rather than a copy and a spread of the copy.
    const stored = toRecord(write.record) as StoredRecord;
    stored.seq = this.#seq + 1;
    stored.etag = recordEtag(stored);
    return { key: write.key, stored };
  }

  /** Makes a prepared change current. */
  commit(change: IndexChange): void {
    if (change.stored === null) this.#delete(change.key);
    else this.#set(change.stored);
  }

  /** Validates, then prepares and commits each write in order. */
  apply(writes: readonly ReplicaWrite[]): ApplyResult {
    this.validate(writes);
    const result: ApplyResult = { applied: [], rejected: [] };
    for (const write of writes) {
      const change = this.prepare(write);
      if (!change) {
        result.rejected.push(write.key);
        continue;
      }
      this.commit(change);
      result.applied.push(write.key);
    }
    return result;
  }

  /** Changes after `since`, oldest first, copied (`lent`: the records themselves, for a caller that only reads them). */
  scan(options: ScanOptions, lent = false): ScanPage {
    checkScan(options);
    const page = this.#log.page(options.since, options.origin, options.limit);
    const records = page.entries.map((e) => this.#records.get(e.key)!);
    return { records: lent ? records : records.map(cloneStored), remaining: page.remaining, head: this.#seq };
  }

  /** Summaries of tree nodes. */
  digest(nodes: readonly string[]): MerkleSummary[] {
    checkNodes(nodes);
    return nodes.map((name) => {
      const node = parseNode(name)!;
      if (node.bits <= LEAF_BITS) return this.#tree.summary(node.bits, leafNumber(node.hex) >>> (LEAF_BITS - node.bits));
      // Below the leaves: summed from the leaf's records.
      let summary = EMPTY_SUMMARY;
      this.#leaves[leafNumber(node.hex)]?.forEach(({ hash, fingerprint }) => {
        if (hashInNode(hash, node)) summary = [xorFingerprints(summary[0], fingerprint), summary[1] + 1];
      });
      return summary;
    });
  }

  /** The records of tree nodes, as entries. */
  entries(nodes: readonly string[]): ReplicaEntry[] {
    checkNodes(nodes);
    const out: ReplicaEntry[] = [];
    for (const name of nodes) {
      const node = parseNode(name)!;
      const [first, last] = leafRange(node);
      const whole = node.bits <= LEAF_BITS;
      for (let leaf = first; leaf <= last; leaf++) {
        this.#leaves[leaf]?.forEach(({ hash, fingerprint }, key) => {
          if (whole || hashInNode(hash, node)) out.push([key, fingerprint]);
        });
      }
    }
    return out;
  }

  /** Number of keys (tombstones included). */
  get size(): number {
    return this.#records.size;
  }

  #set(record: StoredRecord): void {
    const hash = keyHash(record.key);
    const leaf = leafNumber(hash);
    const previous = this.#records.get(record.key);
    if (previous) this.#tree.change(leaf, fingerprintOf(previous.etag), -1);
    const fingerprint = fingerprintOf(record.etag);
    this.#tree.change(leaf, fingerprint, 1);
    (this.#leaves[leaf] ??= new Map()).set(record.key, { hash, fingerprint });
    this.#records.set(record.key, record);
    this.#seq = Math.max(this.#seq, record.seq);
    const change = this.#changes.get(record.key);
    if (change) this.#log.retire(change);
    this.#changes.set(record.key, this.#log.append(record.seq, record.key, record.origin));
    this.#log.compact();
  }

  #delete(key: string): void {
    const record = this.#records.get(key);
    if (!record) return;
    this.#records.delete(key);
    this.#log.retire(this.#changes.get(key)!);
    this.#changes.delete(key);
    const leaf = leafNumber(keyHash(key));
    this.#tree.change(leaf, fingerprintOf(record.etag), -1);
    this.#leaves[leaf]!.delete(key);
    // A purge is a change too: the sequence moves so `head` tells watchers something happened.
    this.#seq += 1;
  }
}

/**
 * A copy of a stored record to hand out, so a caller's edits never reach the
 * index: its known fields copied directly (about a third cheaper than the
 * generic copy), the value and conflicts deeply.
 */
function cloneStored(r: StoredRecord): StoredRecord {
  const out = { key: r.key, deleted: r.deleted, version: r.version, origin: r.origin, vv: { ...r.vv } } as StoredRecord;
  if ('value' in r) out.value = cloneJson(r.value);
  if (r.conflicts !== undefined) out.conflicts = cloneJson(r.conflicts);
  out.seq = r.seq;
  out.etag = r.etag;
  return out;
}

/** The storage leaf a key hash (or a node's hex) starts in. */
function leafNumber(hex: string): number {
  return parseInt(hex.slice(0, LEAF_BITS / 4).padEnd(LEAF_BITS / 4, '0'), 16);
}

/** The storage leaves a node spans (a node below the leaves lies in one). */
function leafRange(node: MerkleNode): [number, number] {
  const first = leafNumber(node.hex);
  if (node.bits >= LEAF_BITS) return [first, first];
  return [first, first + (1 << (LEAF_BITS - node.bits)) - 1];
}
