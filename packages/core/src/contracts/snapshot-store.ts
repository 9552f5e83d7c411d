/** A stored snapshot and its version tag. */
export interface StoredSnapshot {
  /** The bytes as written (an encoded, encrypted snapshot). */
  bytes: Buffer;
  /** Changes on every write; pass it back as `ifMatch` for a conditional write. */
  etag: string;
}

/** Result of a write. */
export interface SnapshotPutResult {
  /** The new version tag. */
  etag: string;
}

/** Conditions of a write or delete, as HTTP and blob stores define them. */
export interface SnapshotWriteOptions {
  /** Write only if the current etag is this one (else PRECONDITION_FAILED). */
  ifMatch?: string;
  /** `*`: write only if nothing is stored under the key (else PRECONDITION_FAILED). */
  ifNoneMatch?: '*';
  /** Aborts the call. */
  signal?: AbortSignal;
}

/**
 * Where session snapshots live between regions (memory, filesystem, Azure Blob).
 * Keys match `^[A-Za-z0-9._:-]{1,200}$`; a bad key is INVALID_ARGUMENT, a store
 * that cannot be reached is STORE_UNAVAILABLE. Every store passes the testkit
 * conformance suite.
 */
export interface SnapshotStore {
  /** Stores bytes under `key`, honouring the conditions; returns the new etag. */
  put(key: string, bytes: Buffer, options?: SnapshotWriteOptions): Promise<SnapshotPutResult>;
  /** The bytes and etag under `key`, or undefined. */
  get(key: string, options?: { signal?: AbortSignal }): Promise<StoredSnapshot | undefined>;
  /** Removes `key` (honouring `ifMatch`); true when something was removed. */
  delete(key: string, options?: Omit<SnapshotWriteOptions, 'ifNoneMatch'>): Promise<boolean>;
  /** Keys starting with `prefix`, sorted. */
  list(prefix?: string, options?: { signal?: AbortSignal }): Promise<string[]>;
}

/** Keys every SnapshotStore accepts. */
export const SNAPSHOT_KEY_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;
