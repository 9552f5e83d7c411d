import type { ApplyResult, ReplicaEntry, ReplicaRecord, ReplicaWrite, ScanOptions, ScanPage, StoredRecord } from '../contracts/replica-store.js';
import { ChangeLog, type ChangeEntry } from './change-log.js';
import { cloneJson } from './json-clone.js';
import { checkPrefixes, EMPTY_LEAF_DIGEST, leafDigest, leafOf, merkleDigests } from './merkle.js';
import { checkKeys, checkScan, checkWrites } from './replica-input.js';
import { keyHash, recordEtag, toRecord } from './replica-record.js';

/** A change the index accepted: the stored record, or a purge. */
export type IndexChange = { key: string; stored: StoredRecord } | { key: string; stored: null };

/**
 * The in-memory heart of the memory and file stores: records by key, a change
 * log ordered by sequence for `scan`, and Merkle leaves with cached digests so
 * anti-entropy costs O(changed leaves), not O(keys).
 */
export class ReplicaIndex {
  readonly #records = new Map<string, StoredRecord>();
  readonly #leaves = new Map<string, Map<string, string>>();
  readonly #digests = new Map<string, string>();
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

  /** Copies of the current records for `keys`. */
  getMany(keys: readonly string[]): Array<StoredRecord | undefined> {
    checkKeys(keys);
    return keys.map((key) => {
      const found = this.#records.get(key);
      return found ? cloneJson(found) : undefined;
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
    const record: ReplicaRecord = toRecord(write.record);
    return { key: write.key, stored: { ...record, seq: this.#seq + 1, etag: recordEtag(record) } };
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

  /** Changes after `since`, oldest first. */
  scan(options: ScanOptions): ScanPage {
    checkScan(options);
    const page = this.#log.page(options.since, options.origin, options.limit);
    return { records: page.entries.map((e) => cloneJson(this.#records.get(e.key)!)), remaining: page.remaining, head: this.#seq };
  }

  /** Merkle digests of prefixes. */
  digest(prefixes: readonly string[]): Record<string, string> {
    checkPrefixes(prefixes, false);
    return merkleDigests(prefixes, (leaf) => this.#leafDigest(leaf));
  }

  /** Entries of whole leaves. */
  entries(leaves: readonly string[]): ReplicaEntry[] {
    checkPrefixes(leaves, true);
    const out: ReplicaEntry[] = [];
    for (const leaf of leaves) {
      for (const key of this.#leaves.get(leaf)?.keys() ?? []) out.push({ key, etag: this.#records.get(key)!.etag });
    }
    return out;
  }

  /** Number of keys (tombstones included). */
  get size(): number {
    return this.#records.size;
  }

  #leafDigest(leaf: string): string {
    let digest = this.#digests.get(leaf);
    if (digest === undefined) {
      const lines = this.#leaves.get(leaf);
      digest = lines ? leafDigest([...lines.values()]) : EMPTY_LEAF_DIGEST;
      this.#digests.set(leaf, digest);
    }
    return digest;
  }

  #set(record: StoredRecord): void {
    const hash = keyHash(record.key);
    const leaf = leafOf(hash);
    let lines = this.#leaves.get(leaf);
    if (!lines) this.#leaves.set(leaf, (lines = new Map()));
    lines.set(record.key, `${hash} ${record.etag}`);
    this.#digests.delete(leaf);
    this.#records.set(record.key, record);
    this.#seq = Math.max(this.#seq, record.seq);
    const change = this.#changes.get(record.key);
    if (change) this.#log.retire(change);
    this.#changes.set(record.key, this.#log.append(record.seq, record.key, record.origin));
    this.#log.compact();
  }

  #delete(key: string): void {
    if (!this.#records.delete(key)) return;
    this.#log.retire(this.#changes.get(key)!);
    this.#changes.delete(key);
    const leaf = leafOf(keyHash(key));
    this.#leaves.get(leaf)?.delete(key);
    this.#digests.delete(leaf);
    // A purge is a change too: the sequence moves so `head` tells watchers something happened.
    this.#seq += 1;
  }
}
