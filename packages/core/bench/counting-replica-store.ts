import type { ReplicaCallOptions, ReplicaStore } from '@meridian/core';

/** Bytes of anti-entropy metadata a store was asked for and answered, as JSON. */
export interface MetadataCount {
  /** Arguments of `digest` and `entries` calls (what a client sends). */
  sent: number;
  /** Their answers (what a client reads). */
  read: number;
}

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/**
 * Wraps a store and counts the JSON size of the Merkle walk's calls in both
 * directions, independently of the Syncer's own `metadataBytes`: the figure the
 * bench reports is measured outside the code it measures.
 */
export function countingReplicaStore(inner: ReplicaStore): { store: ReplicaStore; count: MetadataCount } {
  const count: MetadataCount = { sent: 0, read: 0 };
  const counted =
    <A extends readonly unknown[], R>(call: (nodes: A, options?: ReplicaCallOptions) => Promise<R>) =>
    async (nodes: A, options?: ReplicaCallOptions): Promise<R> => {
      count.sent += jsonBytes(nodes);
      const answer = await call(nodes, options);
      count.read += jsonBytes(answer);
      return answer;
    };
  const store: ReplicaStore = {
    getMany: (keys, options) => inner.getMany(keys, options),
    apply: (writes, options) => inner.apply(writes, options),
    scan: (options) => inner.scan(options),
    digest: counted((nodes, options) => inner.digest(nodes, options)),
    entries: counted((nodes, options) => inner.entries(nodes, options)),
  };
  return { store, count };
}
