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

const watched = vi.hoisted(() => ({ events: [] as string[], syncs: 0, files: [] as Array<{ path: string; event: string }>, slowSyncs: false, ops: [] as string[] }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    rename: async (from: string, to: string) => {
      await actual.rename(from, to);
      watched.ops.push(`rename ${from} ${to}`);
    },
    unlink: async (path: string) => {
      await actual.unlink(path);
      watched.ops.push(`unlink ${path}`);
    },
    open: async (...args: Parameters<typeof actual.open>) => {
      const handle: FileHandle = await actual.open(...args);
      const sync = handle.sync.bind(handle);
      handle.sync = async () => {
        await sync();
        watched.ops.push(`sync ${String(args[0])}`);
      };
      if (!String(args[0]).endsWith('.seg')) return handle;
      const writev = handle.writev.bind(handle);
      const datasync = handle.datasync.bind(handle);
      handle.writev = (async (buffers: NodeJS.ArrayBufferView[], position?: number) => {
        const result = await writev(buffers, position);
        for (const b of buffers as Buffer[]) watched.events.push(`written ${b.toString('latin1', 16, 16 + b.readUInt8(9))}`);
        watched.files.push({ path: String(args[0]), event: 'written' });
        return result;
      }) as FileHandle['writev'];
      handle.datasync = async () => {
        const n = ++watched.syncs;
        watched.events.push(`sync-start ${n}`);
        watched.files.push({ path: String(args[0]), event: `sync-start ${n}` });
        // A slow disk: lets the store's other steps (a new segment's creation) overtake a sync that is not awaited.
        if (watched.slowSyncs) await new Promise((resolve) => setTimeout(resolve, 20));
        await datasync();
        watched.events.push(`sync-end ${n}`);
        watched.files.push({ path: String(args[0]), event: `sync-end ${n}` });
      };
      return handle;
    },
  };
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  watched.events.length = 0;
  watched.files.length = 0;
  watched.ops.length = 0;
  watched.syncs = 0;
  watched.slowSyncs = false;
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
    watched.slowSyncs = true;
    // Staggered: each wave starts while the previous one's writes and syncs are in flight.
    const keys = Array.from({ length: 60 }, (_, i) => `w:${i}`);
    await check(keys, async (key) => {
      await new Promise((resolve) => setImmediate(resolve));
      return store.put(key, valueFor(key, 0));
    });
    expect(watched.syncs).toBeGreaterThan(1);
    // A segment is synced whole before the next one takes a byte, so a damaged tail in a closed segment is never a crash.
    const order = [...new Set(watched.files.map((f) => f.path))];
    expect(order.length).toBeGreaterThan(2);
    for (let i = 0; i + 1 < order.length; i++) {
      const lastWrite = watched.files.findLastIndex((f) => f.path === order[i] && f.event === 'written');
      const firstNext = watched.files.findIndex((f) => f.path === order[i + 1] && f.event === 'written');
      const covering = watched.files.slice(lastWrite + 1, firstNext).filter((f) => f.path === order[i] && f.event.startsWith('sync-start ')).map((f) => `sync-end ${f.event.slice(11)}`);
      expect(covering.some((end) => watched.files.findIndex((f) => f.event === end) < firstNext), `${order[i]} not synced before ${order[i + 1]} was written`).toBe(true);
    }
    await store.close();
  });

  it('compaction: outputs fsync\'d before their rename, the directory fsync\'d before any input is removed, inputs removed oldest first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-groupcommit-'));
    dirs.push(dir);
    const store = await SegmentSnapshotStore.open({ directory: dir, segmentBytes: 16 * 1024, autoCompact: false });
    for (let round = 0; round < 3; round++) for (let k = 0; k < 12; k++) await store.put(`c:${k}`, valueFor(`c:${k}`, round));
    watched.ops.length = 0;
    const result = await store.compact();
    expect(result.outputSegments).toBeGreaterThan(1);
    const ops = watched.ops;
    const renames = ops.flatMap((op, i) => (op.startsWith('rename ') ? [{ i, from: op.split(' ')[1]!, to: op.split(' ')[2]! }] : []));
    expect(renames).toHaveLength(result.outputSegments);
    for (const r of renames) {
      expect(r.from).toBe(`${r.to}.compacting`);
      expect(ops.indexOf(`sync ${r.from}`), `${r.to} fsync'd before its rename`).toBeGreaterThanOrEqual(0);
      expect(ops.indexOf(`sync ${r.from}`)).toBeLessThan(r.i);
    }
    const unlinks = ops.flatMap((op, i) => (op.startsWith('unlink ') ? [{ i, path: op.slice(7) }] : []));
    expect(unlinks).toHaveLength(result.inputSegments);
    const directorySync = ops.findIndex((op, i) => op === `sync ${dir}` && i > renames.at(-1)!.i);
    expect(directorySync, 'directory fsync after the renames').toBeGreaterThan(0);
    expect(directorySync).toBeLessThan(unlinks[0]!.i);
    expect(unlinks.map((u) => u.path)).toEqual(unlinks.map((u) => u.path).sort());
    await store.close();
  });
});
