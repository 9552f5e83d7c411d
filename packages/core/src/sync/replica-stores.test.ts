import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReplicaStoreConformance } from '@meridian/testkit';
import { FileReplicaStore } from './file-replica-store.js';
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
