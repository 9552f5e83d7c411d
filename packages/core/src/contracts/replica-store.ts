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
  /**
   * `false`: the caller reads keys, versions, etags, tombstones and conflicts,
   * not values (a probe of the head, a tombstone purge, a conflict-queue
   * load). A store whose values are costly to read (the directory store's file
   * chunks, read from disk) may then leave `value` undefined on live records
   * that hold no conflicts; a record with conflicts comes whole. Default
   * `true`; a store may always ignore it.
   */
  values?: boolean;
}

/**
 * What `digest` says of one node of the anti-entropy tree: `[fingerprint, count]`,
 * the XOR of the fingerprints of the records in the node (16 lower-case hex
 * digits; `'0000000000000000'` when empty) and how many records it holds.
 */
export type MerkleSummary = [fingerprint: string, count: number];

/** A record as `entries` lists it: `[key, fingerprint]`, enough to compare without the value. */
export type ReplicaEntry = [key: string, fingerprint: string];

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
 * Anti-entropy compares stores through one tree, the same in every store (tree
 * version 2). A record's *fingerprint* is the first 16 hex digits (64 bits) of
 * its etag. A *node* is the set of keys whose key hash (SHA-1 of the key's
 * UTF-8 bytes) starts with given bits, named by those bits in hex: `''` is the
 * root, `'a'` the keys whose hash starts with the digit a, and when the bits
 * are not a multiple of 4 the name ends in `/<bits>` with the unused bits zero:
 * `'8/1'` (first bit 1), `'a4/7'` (1010010). Nodes go down to
 * {@link MERKLE_MAX_BITS} bits. A node's summary is the XOR of its records'
 * fingerprints and their count, so a node's summary is its two children's
 * combined, and a client that knows a node and one child knows the other.
 * See `merkleSummaries()` for the reference implementation.
 */
export interface ReplicaStore {
  /** Current records for `keys` (undefined where absent), in the same order. */
  getMany(keys: readonly string[], options?: ReplicaCallOptions): Promise<Array<StoredRecord | undefined>>;
  /** Conditional writes, each atomic on its own. A failed precondition rejects that key only. */
  apply(writes: readonly ReplicaWrite[], options?: ReplicaCallOptions): Promise<ApplyResult>;
  /** Changes since a sequence number, for the push loop. */
  scan(options: ScanOptions & ReplicaCallOptions): Promise<ScanPage>;
  /** Summaries of tree nodes, in the order of `nodes` (names as above; `INVALID_ARGUMENT` for any other). */
  digest(nodes: readonly string[], options?: ReplicaCallOptions): Promise<MerkleSummary[]>;
  /** The records of the given nodes as entries, in any order (a node's count tells the caller how many to expect). */
  entries(nodes: readonly string[], options?: ReplicaCallOptions): Promise<ReplicaEntry[]>;
  /**
   * Optional: waits until what `apply` accepted so far is fully in place, for a
   * store that acknowledges records before it has finished carrying out their
   * effects (a directory store writes received files behind its journal).
   * `CrossRegionSync` calls it at the end of every delivery, so when a round
   * resolves the target holds what was sent; a failure of that work rejects it.
   */
  flush?(options?: ReplicaCallOptions): Promise<void>;
  /**
   * Optional: the records of a received frame, decoded and checked, handed
   * over before its `apply` (which may still be waiting for the frames before
   * it), so the store can start work that changes none of its records (a
   * directory store checks and writes chunk bytes on its disk thread
   * meanwhile). `CrossRegionSync` calls it for each frame it delivers; the
   * frame's writes (settled against the store's records, so not necessarily
   * these records) come through `apply` as usual, or never (an earlier frame
   * failed). It must not throw, and nothing may depend on it having been called.
   */
  prepare?(records: readonly ReplicaRecord[]): void;
  /** Frees connections or locks. Idempotent. */
  close?(): Promise<void>;
}

/**
 * Hex digits of the key hash by which stores group their records and keep
 * summaries (4096 groups; Redis keeps one hash per group). Nodes deeper than
 * this are summed from a group's records when asked.
 */
export const MERKLE_LEAF_DEPTH = 3;

/** Deepest tree node, in bits of the key hash. */
export const MERKLE_MAX_BITS = 64;

/**
 * Version of the anti-entropy tree. 1 compared SHA-1 digests of hex prefixes
 * down to {@link MERKLE_LEAF_DEPTH} digits; 2 is the XOR-fingerprint tree
 * above. Wire protocols that carry the tree name it, so peers of different
 * versions refuse each other instead of never agreeing.
 */
export const MERKLE_TREE_VERSION = 2;
