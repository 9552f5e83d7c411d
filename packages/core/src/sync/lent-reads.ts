import type { ReplicaCallOptions, ReplicaStore, ScanOptions, ScanPage, StoredRecord } from '../contracts/replica-store.js';
import type { ReplicaIndex } from './replica-index.js';

// The stores of this process (memory, file) lend their records for reading: `getMany` and `scan` that hand out
// the records themselves instead of a copy each. Only code that reads what it is lent, and never changes it, may
// use them: the Syncer's sending side (it serializes what it reads) and its conflict-queue load. They hang off the
// store under this symbol, not enumerable: not in its type, not copied by `{ ...store }` wrappers (which then
// read through their own methods, as they must).
const LENT_READS = Symbol('meridian.replica.lentReads');

/** The reads a store lends: the records themselves, which the borrower must never change. */
export interface LentReads {
  /** As `ReplicaStore.getMany`, the records themselves. */
  getMany(keys: readonly string[], options?: ReplicaCallOptions): Promise<Array<StoredRecord | undefined>>;
  /** As `ReplicaStore.scan`, the records themselves. */
  scan(options: ScanOptions & ReplicaCallOptions): Promise<ScanPage>;
}

/**
 * Called by a store of this process on itself: `reads` hand out its records
 * themselves. Only a store whose records are never changed in place (each
 * write replaces a record) may lend them.
 */
export function lendReads(store: ReplicaStore, reads: LentReads): void {
  Object.defineProperty(store, LENT_READS, { value: reads });
}

/**
 * @internal Lends `index`'s records for a store of this process that keeps them
 * in a ReplicaIndex; `check` runs first, as in the store's own methods (closed,
 * aborted).
 */
export function lendIndexReads(store: ReplicaStore, index: ReplicaIndex, check: (options: ReplicaCallOptions | undefined, what: string) => void): void {
  lendReads(store, {
    getMany: async (keys, options = {}) => {
      check(options, 'getMany');
      return index.getMany(keys, true);
    },
    scan: async (options) => {
      check(options, 'scan');
      return index.scan(options, true);
    },
  });
}

/**
 * Reads for a caller that never changes what it reads: the store's
 * lent reads when it has them (no copy per record), its ordinary ones
 * otherwise (a remote store's records are fresh objects anyway).
 */
export function readOnly(store: ReplicaStore): LentReads {
  return (store as { [LENT_READS]?: LentReads })[LENT_READS] ?? store;
}
