import type { ReplicaStore } from '@meridian/core';

/**
 * What a test puts in front of a store: any of its methods, each called in
 * place of the store's own (call `inner`'s from it to pass the call on).
 */
export type ReplicaStoreOverrides = Partial<Pick<ReplicaStore, 'getMany' | 'apply' | 'scan' | 'digest' | 'entries' | 'flush' | 'prepare'>>;

/**
 * `inner` as a sync engine sees it, with some calls changed: to hold a read
 * until something else has happened, run a write in the middle of a walk, or
 * fail one kind of call. Every other method goes to `inner` as it is,
 * `flush` and `prepare` too when `inner` has them (a wrapper without them
 * would hide a directory store's write-behind and its staging ahead).
 * `close` is left out: the test closes `inner`.
 */
export function interceptReplicaStore(inner: ReplicaStore, overrides: ReplicaStoreOverrides): ReplicaStore {
  const store: ReplicaStore = {
    getMany: overrides.getMany ?? ((keys, options) => inner.getMany(keys, options)),
    apply: overrides.apply ?? ((writes, options) => inner.apply(writes, options)),
    scan: overrides.scan ?? ((options) => inner.scan(options)),
    digest: overrides.digest ?? ((nodes, options) => inner.digest(nodes, options)),
    entries: overrides.entries ?? ((nodes, options) => inner.entries(nodes, options)),
  };
  const flush = overrides.flush ?? (inner.flush ? (options?: Parameters<NonNullable<ReplicaStore['flush']>>[0]) => inner.flush!(options) : undefined);
  if (flush) store.flush = flush;
  const prepare = overrides.prepare ?? (inner.prepare ? (records: Parameters<NonNullable<ReplicaStore['prepare']>>[0]) => inner.prepare!(records) : undefined);
  if (prepare) store.prepare = prepare;
  return store;
}
