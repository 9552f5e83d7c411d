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

/** Runs `test` with a fresh temp directory for a journal, removed afterwards whatever happens. */
async function inJournalDir(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'meridian-journal-'));
  try {
    await test(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('JournalReplicaStore state file', () => {
  it('drops a torn last line, and refuses a damaged line before it (not JSON, or JSON that is no entry), naming it', () =>
    inJournalDir(async (dir) => {
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
    }));

  it('journals a binary value raw after its line, keeps it across a reopen and a compaction, and drops a torn one', () =>
    inJournalDir(async (dir) => {
      const store = await JournalReplicaStore.open(dir, { durable: false });
      const version = '001700000000000.000000.a';
      // Bytes that hold newlines and the journal's own syntax: the line says how many follow, nothing is scanned for.
      const bytes = Buffer.from('line\n{"k":"fake","r":null}\n\u0000\xff end');
      const put = (key: string, value: unknown) => store.apply([{ key, record: { key, value, deleted: false, version, origin: 'a', vv: { a: version } }, expected: null }]);
      await put('bin', bytes);
      await put('json', { n: 1 });
      await put('empty', new Uint8Array(0));
      await store.close();
      const file = join(dir, 'records.jsonl');
      const raw = await readFile(file);
      expect(raw.includes(bytes)).toBe(true); // raw, not base64
      expect(raw.includes(Buffer.from(bytes.toString('base64')))).toBe(false);
      const values = async (s: JournalReplicaStore) => (await s.getMany(['bin', 'json', 'empty'])).map((r) => (r?.value instanceof Uint8Array ? Buffer.from(r.value).toString('latin1') : r?.value));
      const expected = [bytes.toString('latin1'), { n: 1 }, ''];
      let reopened = await JournalReplicaStore.open(dir, { durable: false });
      expect(await values(reopened)).toEqual(expected);
      await reopened.close();
      // A crash in the middle of an append: the line and part of its bytes. Dropped, and cut off the file, so the
      // next append does not glue onto it (before, the open after that one failed on the glued line).
      await writeFile(file, Buffer.concat([raw, Buffer.from('{"k":"torn","r":{"key":"torn","deleted":false,"version":"001700000000000.000000.a","origin":"a","vv":{}},"b":100}\npartial')]));
      reopened = await JournalReplicaStore.open(dir, { durable: false });
      expect(await values(reopened)).toEqual(expected);
      expect((await readFile(file)).equals(raw)).toBe(true);
      await reopened.apply([{ key: 'later', record: { key: 'later', value: Buffer.from('after the tear'), deleted: false, version, origin: 'a', vv: { a: version } }, expected: null }]);
      await reopened.close();
      reopened = await JournalReplicaStore.open(dir, { durable: false });
      const [later] = await reopened.getMany(['later']);
      expect(Buffer.from(later!.value as Uint8Array).toString()).toBe('after the tear');
      await reopened.close();
      // Mostly superseded lines are rewritten at open (compaction), binary values raw as before.
      const line = (await readFile(file)).subarray(0, raw.indexOf(bytes) + bytes.length + 1); // "bin"'s line and bytes
      await writeFile(file, Buffer.concat([...Array.from({ length: 10_010 }, () => line), raw]));
      reopened = await JournalReplicaStore.open(dir, { durable: false });
      expect(await values(reopened)).toEqual(expected);
      await reopened.close();
      expect((await readFile(file)).length).toBeLessThan(raw.length * 2);
      reopened = await JournalReplicaStore.open(dir, { durable: false });
      expect(await values(reopened)).toEqual(expected);
      await reopened.close();
      // Bytes that do not end where the line said: damaged, named.
      await writeFile(file, Buffer.concat([Buffer.from('{"k":"x","r":{"key":"x","deleted":false,"version":"001700000000000.000000.a","origin":"a","vv":{}},"b":2}\nabc\n'), raw]));
      await expect(JournalReplicaStore.open(dir, { durable: false })).rejects.toMatchObject({ code: 'SYNC_PROTOCOL_ERROR', message: expect.stringContaining('records.jsonl: line 1 is damaged') });
    }));

  it('refuses a binary value inside conflicts (JSON would mangle it) before applying anything', () =>
    inJournalDir(async (dir) => {
      const store = await JournalReplicaStore.open(dir, { durable: false });
      const version = '001700000000000.000000.a';
      const record = { key: 'k', value: 1, deleted: false, version, origin: 'a', vv: { a: version }, conflicts: [{ value: new Uint8Array(3), deleted: false, version: '001700000000000.000000.b', origin: 'b' }] };
      await expect(store.apply([{ key: 'k', record, expected: null }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('record "k": a conflict version with a binary value') });
      expect(await store.getMany(['k'])).toEqual([undefined]);
      await store.close();
    }));
});
