import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replicaRecord, runReplicaStoreConformance } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';
import { FileReplicaStore } from './file-replica-store.js';
import { readOnly } from './lent-reads.js';
import { MemoryReplicaStore } from './memory-replica-store.js';

runReplicaStoreConformance('memory', async () => ({ store: new MemoryReplicaStore() }));

runReplicaStoreConformance(
  'file',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meridian-replica-'));
    let store = await FileReplicaStore.open(dir);
    return {
      store,
      async reopen() {
        await store.close();
        store = await FileReplicaStore.open(dir);
        return store;
      },
      async close() {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  { durable: true },
);

describe('FileReplicaStore', () => {
  it('refuses a directory another store object holds, and a record file that does not parse', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meridian-replica-'));
    try {
      const store = await FileReplicaStore.open(dir);
      await expect(FileReplicaStore.open(dir)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining('already open in this process') });
      await store.apply([{ key: 'k', record: replicaRecord('k', 1), expected: null }]);
      await store.close();
      const [file] = (await readdir(join(dir, 'records'))).filter((f) => f.endsWith('.json'));
      await writeFile(join(dir, 'records', file!), '{"key": "k", "trunc');
      await expect(FileReplicaStore.open(dir)).rejects.toMatchObject({ code: 'SYNC_PROTOCOL_ERROR', message: expect.stringContaining(file!) });
      // The failed open released its lock: the directory can be repaired and opened again.
      await rm(join(dir, 'records', file!));
      const reopened = await FileReplicaStore.open(dir);
      expect(await reopened.getMany(['k'])).toEqual([undefined]);
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes over the lock of a process that died, and removes half-written temp files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meridian-replica-'));
    try {
      await mkdir(join(dir, 'records'), { recursive: true });
      await writeFile(join(dir, '.lock'), '999999999'); // no such process
      await writeFile(join(dir, 'records', 'abc.json.1234.tmp'), 'partial');
      const store = await FileReplicaStore.open(dir);
      expect((await readdir(join(dir, 'records'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('copies and lent reads (memory and file stores)', () => {
  it('hand callers copies their edits never reach, and lend core’s Syncer the records themselves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meridian-replica-'));
    try {
      for (const store of [new MemoryReplicaStore(), await FileReplicaStore.open(dir)]) {
        const record = replicaRecord('k', { n: 1, list: [1] });
        await store.apply([{ key: 'k', record, expected: null }]);
        const [copy] = await store.getMany(['k']);
        const [scanned] = (await store.scan({ since: 0, limit: 10 })).records;
        copy!.value = 'changed';
        (scanned!.value as { list: number[] }).list.push(2);
        scanned!.vv.other = 'x';
        expect(await store.getMany(['k'])).toEqual([expect.objectContaining({ value: { n: 1, list: [1] }, vv: record.vv })]);
        // Lent: the same objects on every read, and what a plain read copies.
        const lent = readOnly(store);
        expect(lent).not.toBe(store);
        const [a] = await lent.getMany(['k']);
        const [b] = (await lent.scan({ since: 0, limit: 10 })).records;
        expect(a).toBe(b);
        expect(a).toEqual((await store.getMany(['k']))[0]);
        // A wrapper does not pass the loan on: it reads through its own methods.
        expect(readOnly({ ...store, getMany: store.getMany.bind(store), scan: store.scan.bind(store) } as MemoryReplicaStore)).not.toBe(lent);
        await (store as { close(): Promise<void> }).close();
        await expect(lent.getMany(['k'])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
