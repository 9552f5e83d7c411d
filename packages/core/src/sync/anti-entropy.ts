import { MERKLE_LEAF_DEPTH, type ReplicaStore } from '../contracts/replica-store.js';
import { childrenOf } from './merkle.js';

/** What a Merkle comparison found, for both directions. */
export interface MerkleDiff {
  /** Keys whose record in `a` differs from `b`'s or is missing there: what a → b must send. */
  aToB: string[];
  /** Keys whose record in `b` differs from `a`'s or is missing there: what b → a must send. */
  bToA: string[];
  /** Digest and entry bytes read from both stores. */
  metadataBytes: number;
  /** Leaves that differed. */
  leaves: number;
}

const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/**
 * Walks the Merkle trees of two stores from the root down, descending only into
 * prefixes whose digests differ, then compares the entries of differing leaves.
 * Cost is proportional to what differs: two stores in step exchange one digest
 * each, however large they are. One walk serves both directions of a pair.
 */
export async function merkleDiff(a: ReplicaStore, b: ReplicaStore, signal?: AbortSignal): Promise<MerkleDiff> {
  let metadataBytes = 0;
  let prefixes = [''];
  for (let depth = 0; depth <= MERKLE_LEAF_DEPTH && prefixes.length > 0; depth++) {
    const [da, db] = await Promise.all([a.digest(prefixes, { signal }), b.digest(prefixes, { signal })]);
    metadataBytes += bytesOf(da) + bytesOf(db);
    const differing = prefixes.filter((p) => da[p] !== db[p]);
    if (depth === MERKLE_LEAF_DEPTH) {
      prefixes = differing;
      break;
    }
    prefixes = differing.flatMap(childrenOf);
  }
  if (prefixes.length === 0) return { aToB: [], bToA: [], metadataBytes, leaves: 0 };
  const [ea, eb] = await Promise.all([a.entries(prefixes, { signal }), b.entries(prefixes, { signal })]);
  metadataBytes += bytesOf(ea) + bytesOf(eb);
  const etagsA = new Map(ea.map((e) => [e.key, e.etag]));
  const etagsB = new Map(eb.map((e) => [e.key, e.etag]));
  return {
    aToB: ea.filter((e) => etagsB.get(e.key) !== e.etag).map((e) => e.key),
    bToA: eb.filter((e) => etagsA.get(e.key) !== e.etag).map((e) => e.key),
    metadataBytes,
    leaves: prefixes.length,
  };
}
