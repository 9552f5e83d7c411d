// The segment store's group commit: a put is acknowledged only after an fdatasync that started after its
// record was written, and puts arriving together share syncs. The segment files' handles are watched through
// a pass-through mock of node:fs/promises (every call still goes to the real file system).
import { mkdtempSync, rmSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SegmentSnapshotStore } from '../src/stores/segment-snapshot-store.js';
import { valueFor } from './fixtures/segment-values.js';

const watched = vi.hoisted(() => ({ events: [] as string[], syncs: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    open: async (...args: Parameters<typeof actual.open>) => {
      const handle: FileHandle = await actual.open(...args);
      if (!String(args[0]).endsWith('.seg')) return handle;
      const writev = handle.writev.bind(handle);
      const datasync = handle.datasync.bind(handle);
      handle.writev = (async (buffers: NodeJS.ArrayBufferView[], position?: number) => {
        const result = await writev(buffers, position);
        for (const b of buffers as Buffer[]) watched.events.push(`written ${b.toString('latin1', 16, 16 + b.readUInt8(9))}`);
        return result;
      }) as FileHandle['writev'];
      handle.datasync = async () => {
        const n = ++watched.syncs;
        watched.events.push(`sync-start ${n}`);
        await datasync();
        watched.events.push(`sync-end ${n}`);
      };
      return handle;
    },
  };
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  watched.events.length = 0;
  watched.syncs = 0;
});

async function check(keys: string[], put: (key: string) => Promise<unknown>): Promise<void> {
  const events = watched.events;
  await Promise.all(keys.map((key) => put(key).then(() => events.push(`ack ${key}`))));
  for (const key of keys) {
    const written = events.indexOf(`written ${key}`);
    const acked = events.indexOf(`ack ${key}`);
    expect(written, key).toBeGreaterThanOrEqual(0);
    // Some sync started after the write and ended before the acknowledgement.
    const covering = events.slice(written + 1, acked).filter((e) => e.startsWith('sync-start ')).map((e) => `sync-end ${e.slice(11)}`);
    expect(covering.some((end) => events.indexOf(end) < acked), `${key}: no sync between its write and its acknowledgement`).toBe(true);
  }
}

describe('SegmentSnapshotStore group commit', () => {
  it('200 concurrent puts: each acknowledged after a sync that began after its write; they share a few syncs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-groupcommit-'));
    dirs.push(dir);
    const store = await SegmentSnapshotStore.open({ directory: dir });
    await check(Array.from({ length: 200 }, (_, i) => `g:${i}`), (key) => store.put(key, valueFor(key, 0)));
    expect(watched.syncs).toBeLessThan(20);
    expect(store.statistics().syncs).toBe(watched.syncs);
    await store.close();
  });

  it('puts arriving while a sync runs wait for the next one, across segment rollovers too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-groupcommit-'));
    dirs.push(dir);
    const store = await SegmentSnapshotStore.open({ directory: dir, segmentBytes: 32 * 1024, maxRecordsPerWrite: 3 });
    // Staggered: each wave starts while the previous one's writes and syncs are in flight.
    const keys = Array.from({ length: 60 }, (_, i) => `w:${i}`);
    await check(keys, async (key) => {
      await new Promise((resolve) => setImmediate(resolve));
      return store.put(key, valueFor(key, 0));
    });
    expect(watched.syncs).toBeGreaterThan(1);
    await store.close();
  });
});
