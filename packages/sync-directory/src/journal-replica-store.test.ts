import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReplicaStoreConformance } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';
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

describe('JournalReplicaStore state file', () => {
  it('drops a torn last line, and refuses a damaged line before it (not JSON, or JSON that is no entry), naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meridian-journal-'));
    try {
      const store = await JournalReplicaStore.open(dir, { durable: false });
      const record = { key: 'k', value: 1, deleted: false, version: '001700000000000.000000.a', origin: 'a', vv: { a: '001700000000000.000000.a' } };
      await store.apply([{ key: 'k', record, expected: null }]);
      await store.close();
      const file = join(dir, 'records.jsonl');
      const good = await readFile(file, 'utf8');
      await writeFile(file, `${good}{"k":"torn","r":{"ke`);
      const reopened = await JournalReplicaStore.open(dir, { durable: false });
      expect((await reopened.getMany(['k', 'torn'])).map((r) => r?.value)).toEqual([1, undefined]);
      await reopened.close();
      for (const damaged of ['{"k":"x","r":', '["k", null]', '{"k":5,"r":null}']) {
        await writeFile(file, `${damaged}\n${good}`);
        await expect(JournalReplicaStore.open(dir, { durable: false })).rejects.toMatchObject({ code: 'SYNC_PROTOCOL_ERROR', message: expect.stringContaining('records.jsonl: line 1 is damaged') });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
