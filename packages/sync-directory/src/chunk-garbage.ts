import type { ReplicaStore, ReplicaWrite, StoredRecord } from '@meridian/core';
import { readOnly } from '@meridian/core/spi';
import { unpackEntries } from './chunk-entry.js';
import type { ChunkLocator } from './chunk-locator.js';
import { listedEntries, parseManifest } from './file-manifest.js';
import { CHUNK_PREFIX } from './record-keys.js';

/** What a garbage pass needs from its store. */
export interface GarbageContext {
  inner: ReplicaStore;
  locator: ChunkLocator;
  regionId: string;
  /** This region's tombstone of a record. */
  tombstone(record: StoredRecord): ReplicaWrite;
  /** Writes a chunk record for each hash that has no live one. */
  ensureChunkRecords(sizes: Map<string, number>): Promise<void>;
  signal: AbortSignal | undefined;
}

/**
 * Tombstones the chunk records this region wrote that no manifest names any
 * more, writes a chunk record again where a manifest names a chunk whose
 * record was deleted elsewhere while the bytes are here, and drops staged
 * bytes no live record needs (or that a written file now holds). False when
 * an index piece is not here yet: its chunks cannot be listed, so nothing is
 * collected this time.
 */
export async function collectChunkGarbage(ctx: GarbageContext): Promise<boolean> {
  const { inner, locator, signal } = ctx;
  const referenced = new Map<string, number>();
  const pieces = new Set<string>();
  const chunkRecords = new Map<string, StoredRecord>();
  let since = 0;
  for (;;) {
    const page = await readOnly(inner).scan({ since, limit: 1000, signal }); // only read: no copy of each record
    for (const r of page.records) {
      if (r.key.startsWith(CHUNK_PREFIX)) {
        chunkRecords.set(r.key.slice(CHUNK_PREFIX.length), r);
        continue;
      }
      for (const v of [r, ...(r.conflicts ?? [])]) {
        // An inlined file (binary, or JSON with data) or a link lists no chunk: not worth a parse (10 000 small
        // files are 10 000 of them).
        const shape = v.value as { type?: unknown; data?: unknown } | null;
        if (v.deleted || v.value instanceof Uint8Array || shape?.type === 'link' || typeof shape?.data === 'string') continue;
        const m = parseManifest(v.value, r.key);
        if (m.type !== 'file' || m.data !== undefined) continue;
        for (const e of listedEntries(m)) {
          referenced.set(e.hash, e.size);
          if (m.pieces === undefined) continue;
          pieces.add(e.hash);
          const entries = locator.has(e.hash) ? unpackEntries(locator.read(e.hash) ?? Buffer.alloc(1)) : undefined;
          if (!entries) return false;
          for (const c of entries) referenced.set(c.hash, c.size);
        }
      }
    }
    if (page.records.length === 0 || page.remaining === 0) break;
    since = page.records[page.records.length - 1]!.seq;
  }
  const writes: ReplicaWrite[] = [];
  for (const [hash, r] of chunkRecords) {
    if (!r.deleted && r.origin === ctx.regionId && !referenced.has(hash)) writes.push(ctx.tombstone(r));
  }
  if (writes.length > 0) await inner.apply(writes, { signal });
  const lost = [...referenced].filter(([h]) => (!chunkRecords.has(h) || chunkRecords.get(h)!.deleted) && locator.has(h));
  await ctx.ensureChunkRecords(new Map(lost));
  const drop: string[] = [];
  for (const hash of locator.stagedHashes()) {
    const r = chunkRecords.get(hash);
    const needed = (r && !r.deleted) || referenced.has(hash);
    if (!needed || (!pieces.has(hash) && locator.inFile(hash))) drop.push(hash);
  }
  await locator.unstage(drop);
  return true;
}
