import type { ReplicaStore } from '../contracts/replica-store.js';
import { hlcWall } from './hlc.js';

/**
 * Purges tombstones written before `horizon` (ms since epoch) from one store,
 * each with compare-and-set so a key written again meanwhile is kept. Returns
 * how many were purged. Pages through the store; bounded by its size.
 */
export async function purgeTombstones(store: ReplicaStore, horizon: number, signal?: AbortSignal): Promise<number> {
  let since = 0;
  let purged = 0;
  for (;;) {
    const page = await store.scan({ since, limit: 1000, values: false, signal });
    const old = page.records.filter((r) => r.deleted && !r.conflicts?.length && hlcWall(r.version) < horizon);
    if (old.length > 0) {
      const result = await store.apply(old.map((r) => ({ key: r.key, record: null, expected: r.etag })), { signal });
      purged += result.applied.length;
    }
    if (page.records.length === 0 || page.remaining === 0) return purged;
    since = page.records[page.records.length - 1]!.seq;
  }
}
