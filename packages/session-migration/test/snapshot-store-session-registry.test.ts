import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeridianError } from '@meridian/core';
import { FileSnapshotStore, MemorySnapshotStore, SegmentSnapshotStore, SessionMigrator, SnapshotCodec, SnapshotStoreSessionRegistry } from '@meridian/session-migration';
import { runSessionRegistryConformance, sessionRecord } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';

runSessionRegistryConformance('SnapshotStoreSessionRegistry over MemorySnapshotStore', async () => ({ registry: new SnapshotStoreSessionRegistry(new MemorySnapshotStore()) }));

runSessionRegistryConformance('SnapshotStoreSessionRegistry over FileSnapshotStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-registry-'));
  // One store object: a FileSnapshotStore makes its conditions atomic within its process (one agent per directory),
  // not between two processes on one directory; a registry shared by several control planes is Redis, or a store
  // whose service enforces the conditions (Azure Blob).
  return { registry: new SnapshotStoreSessionRegistry(new FileSnapshotStore(dir)), close: async () => rmSync(dir, { recursive: true, force: true }) };
});

runSessionRegistryConformance('SnapshotStoreSessionRegistry over SegmentSnapshotStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-registry-seg-'));
  const store = await SegmentSnapshotStore.open({ directory: dir });
  return { registry: new SnapshotStoreSessionRegistry(store), close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
});

describe('SnapshotStoreSessionRegistry', () => {
  it('refuses a stored value that is not one of its records, naming the key; other keys of the store are not records', async () => {
    const store = new MemorySnapshotStore();
    const registry = new SnapshotStoreSessionRegistry(store);
    await registry.put(sessionRecord('s1'));
    await store.put('ckpt.s1', Buffer.from('a checkpoint, not a record'));
    await store.put('reg.s2', Buffer.from('{"not":"a record"'));
    await store.put('reg.s3', Buffer.from(JSON.stringify(sessionRecord('someone-else'))));
    const refused = (key: string) => (e: unknown) => MeridianError.hasCode(e, 'SYNC_PROTOCOL_ERROR') && (e.details as { key?: string }).key === key;
    await expect(registry.get('s2')).rejects.toSatisfy(refused('reg.s2'));
    await expect(registry.get('s3')).rejects.toSatisfy(refused('reg.s3'));
    await expect(registry.list()).rejects.toSatisfy(refused('reg.s2'));
    await store.delete('reg.s2');
    await store.delete('reg.s3');
    expect((await registry.list()).records.map((r) => r.id)).toEqual(['s1']);
  });

  it('is what a restarted control plane reads every session back from (migrator.load), with its region and epoch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-registry-load-'));
    try {
      const codec = new SnapshotCodec({ keys: [{ id: 'k1', key: Buffer.alloc(32, 7) }] });
      const adapter = { snapshot: async () => ({}), restore: async () => undefined, activate: async () => undefined, suspend: async () => undefined, discard: async () => undefined };
      const first = new SessionMigrator({ adapter, codec, store: new FileSnapshotStore(dir), registry: new SnapshotStoreSessionRegistry(new FileSnapshotStore(dir)) });
      for (let i = 0; i < 5; i++) first.register({ id: `s${i}`, region: i % 2 ? 'eu-west' : 'us-east', metadata: { user: `u${i}` } });
      await first.flush();
      await first.close();
      // Another process, the same directory.
      const second = new SessionMigrator({ adapter, codec, store: new FileSnapshotStore(dir), registry: new SnapshotStoreSessionRegistry(new FileSnapshotStore(dir)) });
      expect(await second.load()).toBe(5);
      expect(second.sessions().map((s) => [s.id, s.region, s.state, s.epoch])).toEqual([
        ['s0', 'us-east', 'active', 0],
        ['s1', 'eu-west', 'active', 0],
        ['s2', 'us-east', 'active', 0],
        ['s3', 'eu-west', 'active', 0],
        ['s4', 'us-east', 'active', 0],
      ]);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
