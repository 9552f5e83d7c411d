import { MeridianError, type ApplyResult, type MerkleSummary, type ReplicaCallOptions, type ReplicaEntry, type ReplicaRecord, type ReplicaStore, type ReplicaWrite, type ScanOptions, type ScanPage, type StoredRecord } from '@meridian/core';

/** A ReplicaStore wrapper whose link can be cut, as a partition cuts it. */
export interface FaultyReplicaStore extends ReplicaStore {
  /** Every call fails with STORE_UNAVAILABLE until `heal()`, as a peer behind a partition does. */
  partition(): void;
  /** Restores the link. */
  heal(): void;
  /** The next `count` calls fail with STORE_UNAVAILABLE (a flaky link). */
  failNext(count: number): void;
  /** Calls that reached the wrapped store, by method. */
  readonly calls: Record<string, number>;
  /** The store behind the link, for writes made inside the region (they do not cross the partition). */
  readonly inner: ReplicaStore;
}

/**
 * Wraps a store so tests can put a partition between the Syncer and a region
 * while the region's own writers keep writing to `inner`. The wrapped store is
 * real; only reachability is simulated, the way a dropped link looks to a client.
 */
export function faultyReplicaStore(inner: ReplicaStore, name = 'region'): FaultyReplicaStore {
  let partitioned = false;
  let failures = 0;
  const calls: Record<string, number> = {};
  const gate = (method: string): void => {
    if (partitioned || failures > 0) {
      if (failures > 0) failures -= 1;
      throw new MeridianError('STORE_UNAVAILABLE', `${name}: ${method} failed: connection timed out (partitioned)`);
    }
    calls[method] = (calls[method] ?? 0) + 1;
  };
  return {
    inner,
    calls,
    partition: () => {
      partitioned = true;
    },
    heal: () => {
      partitioned = false;
    },
    failNext: (count) => {
      failures = count;
    },
    async getMany(keys: readonly string[], options?: ReplicaCallOptions): Promise<Array<StoredRecord | undefined>> {
      gate('getMany');
      return inner.getMany(keys, options);
    },
    async apply(writes: readonly ReplicaWrite[], options?: ReplicaCallOptions): Promise<ApplyResult> {
      gate('apply');
      return inner.apply(writes, options);
    },
    async scan(options: ScanOptions & ReplicaCallOptions): Promise<ScanPage> {
      gate('scan');
      return inner.scan(options);
    },
    async digest(nodes: readonly string[], options?: ReplicaCallOptions): Promise<MerkleSummary[]> {
      gate('digest');
      return inner.digest(nodes, options);
    },
    async entries(nodes: readonly string[], options?: ReplicaCallOptions): Promise<ReplicaEntry[]> {
      gate('entries');
      return inner.entries(nodes, options);
    },
    ...(inner.flush
      ? {
          async flush(options?: ReplicaCallOptions): Promise<void> {
            gate('flush');
            return inner.flush!(options);
          },
        }
      : {}),
    // Staging ahead changes no record: behind a cut link it is not done, and the apply after it fails.
    ...(inner.prepare
      ? {
          prepare(records: readonly ReplicaRecord[]): void {
            if (partitioned || failures > 0) return;
            inner.prepare!(records);
          },
        }
      : {}),
  };
}
