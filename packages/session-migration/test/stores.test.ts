import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeridianError } from '@meridian/core';
import { FileSnapshotStore, MemorySnapshotStore } from '@meridian/session-migration';
import { runSnapshotStoreConformance } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';

runSnapshotStoreConformance('MemorySnapshotStore', async () => ({ store: new MemorySnapshotStore() }));

runSnapshotStoreConformance('FileSnapshotStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-snapshots-'));
  return { store: new FileSnapshotStore(join(dir, 'nested')), close: async () => rmSync(dir, { recursive: true, force: true }) };
});

describe('FileSnapshotStore', () => {
  it('leaves no temporary file behind and ignores foreign files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-snapshots-'));
    const store = new FileSnapshotStore(dir);
    await store.put('a:1', Buffer.from('x'));
    writeFileSync(join(dir, 'README.txt'), 'not a snapshot');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await store.list()).toEqual(['a:1']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('bounds the writes in flight (writeConcurrency) and lands every one of a burst', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-snapshots-'));
    const store = new FileSnapshotStore(join(dir, 'burst'), { writeConcurrency: 2 });
    const keys = Array.from({ length: 200 }, (_, i) => `mig.1.s${i}.m.1`);
    await Promise.all(keys.map((key, i) => store.put(key, Buffer.from(`snapshot ${i}`), { ifNoneMatch: '*' })));
    expect(await store.list()).toEqual([...keys].sort());
    expect((await store.get(keys[7]!))!.bytes.toString()).toBe('snapshot 7');
    expect(readdirSync(join(dir, 'burst')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    for (const bad of [0, 1.5, -1, Number.NaN]) {
      expect(() => new FileSnapshotStore(dir, { writeConcurrency: bad })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('writeConcurrency') }));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not make a write whose caller aborted before its turn', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-snapshots-'));
    const store = new FileSnapshotStore(dir, { writeConcurrency: 1 });
    const controller = new AbortController();
    const writes = Array.from({ length: 20 }, (_, i) => store.put(`k:${i}`, Buffer.from(`${i}`)));
    const aborted = store.put('k:aborted', Buffer.from('never'), { signal: controller.signal }).then(
      () => undefined,
      (error: unknown) => error,
    );
    controller.abort();
    await Promise.all(writes);
    expect(MeridianError.hasCode(await aborted, 'ABORTED')).toBe(true);
    expect(await store.list('k:aborted')).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a path that is a file, not a directory, as STORE_UNAVAILABLE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-snapshots-'));
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const error = await new FileSnapshotStore(file).put('k', Buffer.from('x')).catch((e: unknown) => e);
    expect(MeridianError.hasCode(error, 'STORE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('"k"');
    rmSync(dir, { recursive: true, force: true });
  });
});
