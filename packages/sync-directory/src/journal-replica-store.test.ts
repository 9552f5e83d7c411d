import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReplicaStoreConformance } from '@meridian/testkit';
import { JournalReplicaStore } from './journal-replica-store.js';

// The directory store's record layer is a general ReplicaStore: the whole suite applies to it, reopen included.
// (DirectoryReplicaStore itself takes only `file:` and `chunk:` keys with manifest and chunk values, so the suite's
// arbitrary keys and values are refused there by design; test/directory-sync.test.ts covers what applies.)
runReplicaStoreConformance(
  'journal (sync-directory record layer)',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meridian-journal-'));
    let store = await JournalReplicaStore.open(dir, { durable: true });
    return {
      store,
      async reopen() {
        await store.close();
        store = await JournalReplicaStore.open(dir, { durable: true });
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
