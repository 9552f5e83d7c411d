import { MeridianError, type SnapshotStore } from '@meridian/core';

/** A snapshot store with a switch: while down, every call fails with STORE_UNAVAILABLE (a store outage). */
export interface OutageSnapshotStore {
  /** The store to hand to the code under test. */
  readonly store: SnapshotStore;
  /** The store behind it, reachable while the outage lasts (to plant or inspect what is stored). */
  readonly inner: SnapshotStore;
  /** Starts (true) or ends (false) the outage. */
  setDown(down: boolean): void;
}

/** Wraps `inner` so a test can take it down and bring it back at chosen moments. */
export function outageSnapshotStore(inner: SnapshotStore): OutageSnapshotStore {
  let down = false;
  const guard = (): void => {
    if (down) throw new MeridianError('STORE_UNAVAILABLE', 'snapshot store is down (test outage)');
  };
  const store: SnapshotStore = {
    put: async (key, bytes, options) => (guard(), inner.put(key, bytes, options)),
    get: async (key, options) => (guard(), inner.get(key, options)),
    delete: async (key, options) => (guard(), inner.delete(key, options)),
    list: async (prefix, options) => (guard(), inner.list(prefix, options)),
  };
  return { store, inner, setDown: (value) => void (down = value) };
}
