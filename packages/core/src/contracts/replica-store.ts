/**
 * A version written by one region, as carried between regions: the unit a
 * {@link ReplicaStore} keeps per key.
 */
export interface ReplicaVersion {
  /** The value (JSON). Absent on a tombstone. */
  value?: unknown;
  /** True for a delete (a tombstone, kept until the GC horizon so the delete replicates). */
  deleted: boolean;
  /** Hybrid-logical-clock timestamp of the write, encoded (see `encodeHlc`); sorts as a string. */
  version: string;
  /** Region that made the write. */
  origin: string;
}

/** A key's current state in one region, with what it has seen from every region. */
export interface ReplicaRecord extends ReplicaVersion {
  /** The key: any string of 1 to 1024 UTF-8 bytes without control characters. */
  key: string;
  /**
   * Version vector: per region, the newest write of that region this record includes.
   * Two records whose vectors are incomparable were written concurrently: a conflict.
   */
  vv: Record<string, string>;
  /** Under the `manual` policy: the concurrent versions that lost provisionally and wait for `resolve()`. */
  conflicts?: ReplicaVersion[];
}

/** A record as a store holds it: with the store's own change sequence and the record's etag. */
export interface StoredRecord extends ReplicaRecord {
  /** Store-assigned, strictly increasing on every write to this store; `scan` pages by it. */
  seq: number;
  /** Digest of the record's identity (key, version, vector, tombstone, conflicts): `recordEtag()`. */
  etag: string;
}

/**
 * One conditional write. `expected` is the etag the key must have now (`null`:
 * the key must be absent); `record: null` removes the key entirely (tombstone GC).
 */
export interface ReplicaWrite {
  /** Key being written; must equal `record.key` when a record is given. */
  key: string;
  /** The record to store, or `null` to purge the key. */
  record: ReplicaRecord | null;
  /** Compare-and-set precondition on the current etag. */
  expected: string | null;
}

/** What `apply` did. */
export interface ApplyResult {
  /** Keys written (or purged). */
  applied: string[];
  /** Keys whose precondition failed: someone wrote them in between. Nothing was changed for them. */
  rejected: string[];
}

/** A page of changes. */
export interface ScanPage {
  /** Records with `seq > since` (and the origin asked for), in ascending `seq`. */
  records: StoredRecord[];
  /** How many more records match beyond this page. */
  remaining: number;
  /** The store's highest `seq` when the page was read (0 when empty). */
  head: number;
}

/** Options of `scan`. */
export interface ScanOptions {
  /** Only records with a larger `seq`. Use 0 for everything. */
  since: number;
  /** Only records written by this region (`origin`). */
  origin?: string;
  /** Page size, at least 1. */
  limit: number;
}

/** A leaf entry of the Merkle tree: a key's hash and etag, enough to compare without the value. */
export interface ReplicaEntry {
  /** The key. */
  key: string;
  /** `recordEtag()` of the key's record. */
  etag: string;
}

/** Per-call options of a ReplicaStore. */
export interface ReplicaCallOptions {
  /** Aborts the call. */
  signal?: AbortSignal;
}

/**
 * A region's keyed data, with version metadata, as the Syncer reads and writes
 * it. Adapters: `MemoryReplicaStore`, `FileReplicaStore` (core), the local
 * region's HTTP API (`@meridian/providers-local`), Redis
 * (`@meridian/replica-redis`). All pass testkit's `runReplicaStoreConformance`.
 *
 * Digests follow one definition so stores of different kinds can be compared:
 * a key's hash is the SHA-1 hex of its UTF-8 bytes; a leaf is the first
 * {@link MERKLE_LEAF_DEPTH} hex digits of that hash; a leaf's digest is the
 * SHA-1 hex of its entries' lines `"<keyHash> <etag>\n"` sorted; an inner
 * prefix's digest is the SHA-1 hex of its 16 children's digests concatenated
 * in order `0`–`f`. See `merkleDigests()` for the reference implementation.
 */
export interface ReplicaStore {
  /** Current records for `keys` (undefined where absent), in the same order. */
  getMany(keys: readonly string[], options?: ReplicaCallOptions): Promise<Array<StoredRecord | undefined>>;
  /** Conditional writes, each atomic on its own. A failed precondition rejects that key only. */
  apply(writes: readonly ReplicaWrite[], options?: ReplicaCallOptions): Promise<ApplyResult>;
  /** Changes since a sequence number, for the push loop. */
  scan(options: ScanOptions & ReplicaCallOptions): Promise<ScanPage>;
  /** Merkle digests of hash prefixes (`''` is the root; at most `MERKLE_LEAF_DEPTH` hex digits). */
  digest(prefixes: readonly string[], options?: ReplicaCallOptions): Promise<Record<string, string>>;
  /** Entries of the given leaves (prefixes of exactly `MERKLE_LEAF_DEPTH` hex digits). */
  entries(leaves: readonly string[], options?: ReplicaCallOptions): Promise<ReplicaEntry[]>;
  /** Frees connections or locks. Idempotent. */
  close?(): Promise<void>;
}

/** Hex digits of the key hash that name a Merkle leaf: 4096 leaves (a few keys each at 10k keys, so a walk after a partition reads little besides what differs). */
export const MERKLE_LEAF_DEPTH = 3;
