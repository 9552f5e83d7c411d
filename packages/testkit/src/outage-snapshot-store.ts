import { MeridianError, type SnapshotStore } from '@meridian/core';

/** A snapshot store with a switch: while down, every call fails with STORE_UNAVAILABLE (a store outage). */
export interface OutageSnapshotStore {
  /** The store to hand to the code under test. */
  readonly store: SnapshotStore;
  /** The store behind it, reachable while the outage lasts (to plant or inspect what is stored). */
  readonly inner: SnapshotStore;
  /** Starts (true) or ends (false) the outage; `methods`: only those calls fail (a store that lists but refuses deletes). */
  setDown(down: boolean, methods?: readonly SnapshotStoreMethod[]): void;
}

/** The calls of a snapshot store. */
export type SnapshotStoreMethod = 'put' | 'get' | 'delete' | 'list';

/** Wraps `inner` so a test can take it down and bring it back at chosen moments. */
export function outageSnapshotStore(inner: SnapshotStore): OutageSnapshotStore {
  let down = new Set<SnapshotStoreMethod>();
  const guard = (method: SnapshotStoreMethod): void => {
    if (down.has(method)) throw new MeridianError('STORE_UNAVAILABLE', 'snapshot store is down (test outage)');
  };
  const store: SnapshotStore = {
    put: async (key, bytes, options) => (guard('put'), inner.put(key, bytes, options)),
    get: async (key, options) => (guard('get'), inner.get(key, options)),
    delete: async (key, options) => (guard('delete'), inner.delete(key, options)),
    list: async (prefix, options) => (guard('list'), inner.list(prefix, options)),
  };
  return {
    store,
    inner,
    setDown: (value, methods = ['put', 'get', 'delete', 'list']) => {
      down = new Set(value ? methods : []);
    },
  };
}
