// SegmentSnapshotStore on real files: the conformance suite, reopen, torn tails, corruption, the lock,
// and the crash tests with a real child process SIGKILLed while writing or compacting.
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MeridianError } from '@meridian/core';
import { SegmentSnapshotStore } from '@meridian/session-migration';
import { runSnapshotStoreConformance } from '@meridian/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecord, RecordKind } from '../src/stores/segment-record.js';
import { opFor, valueFor } from './fixtures/segment-values.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/segment-store-child.ts', import.meta.url));
const journalPreload = fileURLToPath(new URL('./fixtures/durability-journal.ts', import.meta.url));
const dirs: string[] = [];
const opened: SegmentSnapshotStore[] = [];

function directory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-segments-'));
  dirs.push(dir);
  return dir;
}

async function openStore(options: Parameters<typeof SegmentSnapshotStore.open>[0]): Promise<SegmentSnapshotStore> {
  const store = await SegmentSnapshotStore.open(options);
  opened.push(store);
  return store;
}

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.seg')).sort();
const code = (error: unknown) => (MeridianError.isInstance(error) ? error.code : String(error));

runSnapshotStoreConformance('SegmentSnapshotStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-segments-'));
  const store = await SegmentSnapshotStore.open({ directory: join(dir, 'nested') });
  return {
    store,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SegmentSnapshotStore', () => {
  it('keeps every write across close and reopen, over many segments, with overwrites and deletes', async () => {
    const dir = directory();
    const store = await SegmentSnapshotStore.open({ directory: dir, segmentBytes: 16 * 1024, autoCompact: false });
    const expected = new Map<string, { bytes: Buffer; etag: string }>();
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const key = `s:${i}`;
        expected.set(key, { bytes: valueFor(key, 0), etag: (await store.put(key, valueFor(key, 0))).etag });
      }),
    );
    for (let i = 0; i < 60; i += 3) expected.set(`s:${i}`, { bytes: valueFor(`s:${i}`, 1), etag: (await store.put(`s:${i}`, valueFor(`s:${i}`, 1))).etag });
    for (let i = 1; i < 60; i += 7) {
      expect(await store.delete(`s:${i}`)).toBe(true);
      expected.delete(`s:${i}`);
    }
    await store.close();
    expect(segments(dir).length).toBeGreaterThan(5);

    const again = await openStore({ directory: dir, segmentBytes: 16 * 1024 });
    expect(again.recovery).toMatchObject({ truncatedBytes: 0, damaged: [] });
    expect(await again.list()).toEqual([...expected.keys()].sort());
    for (const [key, value] of expected) expect(await again.get(key)).toEqual(value);
    expect(await again.get('s:1')).toBeUndefined();
  });

  it('cuts a torn tail at open: the records before it stay, the torn one is not readable', async () => {
    const dir = directory();
    const store = await SegmentSnapshotStore.open({ directory: dir });
    for (let i = 0; i < 5; i++) await store.put(`t:${i}`, valueFor(`t:${i}`, 0));
    await store.close();
    const [last] = segments(dir).slice(-1);
    const file = join(dir, last!);
    const size = statSync(file).size;
    const torn = encodeRecord(RecordKind.Put, 't:torn', '"x"', valueFor('t:torn', 0));
    appendFileSync(file, torn.subarray(0, torn.length - 100));

    const again = await openStore({ directory: dir });
    expect(again.recovery.truncatedBytes).toBe(torn.length - 100);
    expect(statSync(file).size).toBe(size);
    expect(await again.get('t:torn')).toBeUndefined();
    expect(await again.list()).toEqual(['t:0', 't:1', 't:2', 't:3', 't:4']);
    for (let i = 0; i < 5; i++) expect((await again.get(`t:${i}`))!.bytes.equals(valueFor(`t:${i}`, 0))).toBe(true);
    // The store appends after the cut, and a second reopen finds nothing to repair.
    await again.put('t:5', valueFor('t:5', 0));
    await again.close();
    const third = await openStore({ directory: dir });
    expect(third.recovery).toMatchObject({ truncatedBytes: 0, damaged: [] });
    expect((await third.get('t:5'))!.bytes.equals(valueFor('t:5', 0))).toBe(true);
  });

  it('reports a record with a flipped byte as SNAPSHOT_CORRUPT (while open and after reopen); the others stay readable', async () => {
    const dir = directory();
    const store = await SegmentSnapshotStore.open({ directory: dir });
    for (const key of ['m:a', 'm:b', 'm:c']) await store.put(key, valueFor(key, 0));
    const [name] = segments(dir);
    const file = join(dir, name!);
    const bytes = readFileSync(file);
    const at = bytes.indexOf(valueFor('m:b', 0).subarray(0, 64)) + 500;
    bytes[at] = bytes[at]! ^ 0x01;
    writeFileSync(file, bytes);

    await expect(store.get('m:b')).rejects.toSatisfy((e) => code(e) === 'SNAPSHOT_CORRUPT');
    await store.close();
    const again = await openStore({ directory: dir });
    expect(again.recovery.damaged).toEqual([expect.objectContaining({ segment: name, key: 'm:b' })]);
    await expect(again.get('m:b')).rejects.toSatisfy((e) => code(e) === 'SNAPSHOT_CORRUPT');
    expect(await again.list('m:')).toEqual(['m:a', 'm:b', 'm:c']);
    expect((await again.get('m:a'))!.bytes.equals(valueFor('m:a', 0))).toBe(true);
    expect((await again.get('m:c'))!.bytes.equals(valueFor('m:c', 0))).toBe(true);
    // No condition matches a corrupt record; an unconditional write replaces it.
    await expect(again.put('m:b', Buffer.from('x'), { ifNoneMatch: '*' })).rejects.toSatisfy((e) => code(e) === 'PRECONDITION_FAILED');
    await again.put('m:b', valueFor('m:b', 1));
    expect((await again.get('m:b'))!.bytes.equals(valueFor('m:b', 1))).toBe(true);
  });

  it('finds the records after one whose length field is flipped', async () => {
    const dir = directory();
    const store = await SegmentSnapshotStore.open({ directory: dir });
    for (const key of ['l:a', 'l:b', 'l:c']) await store.put(key, valueFor(key, 0));
    await store.close();
    const file = join(dir, segments(dir)[0]!);
    const bytes = readFileSync(file);
    const at = bytes.indexOf(Buffer.from('l:b', 'latin1')) - 16;
    bytes[at + 13] = bytes[at + 13]! ^ 0x40; // the value length
    writeFileSync(file, bytes);
    const again = await openStore({ directory: dir });
    expect(again.recovery.truncatedBytes).toBe(0);
    await expect(again.get('l:b')).rejects.toSatisfy((e) => code(e) === 'SNAPSHOT_CORRUPT');
    expect((await again.get('l:a'))!.bytes.equals(valueFor('l:a', 0))).toBe(true);
    expect((await again.get('l:c'))!.bytes.equals(valueFor('l:c', 0))).toBe(true);
  });

  it('refuses a second opener of the same directory, and takes over the lock of a dead process', async () => {
    const dir = directory();
    await openStore({ directory: dir });
    const error = await SegmentSnapshotStore.open({ directory: dir }).catch((e: unknown) => e);
    expect(code(error)).toBe('STORE_UNAVAILABLE');
    expect((error as Error).message).toContain('already open in this process');
    const stale = directory();
    writeFileSync(join(stale, 'LOCK'), '2147483646\n'); // no such process
    const store = await openStore({ directory: stale });
    await store.put('k', Buffer.from('v'));
  });

  it('refuses bad options with INVALID_CONFIG naming the option', async () => {
    for (const options of [{ directory: '' }, { directory: directory(), segmentBytes: 10 }, { directory: directory(), compactionThresholdBytes: 0 }, { directory: directory(), bogus: 1 }]) {
      const error = await SegmentSnapshotStore.open(options as never).catch((e: unknown) => e);
      expect(code(error)).toBe('INVALID_CONFIG');
    }
  });

  it('compacts: reclaims overwritten and deleted records, keeps the live ones and the corrupt markers, reads go on during it', async () => {
    const dir = directory();
    const store = await SegmentSnapshotStore.open({ directory: dir, segmentBytes: 32 * 1024, autoCompact: false });
    for (let round = 0; round < 4; round++) for (let k = 0; k < 20; k++) await store.put(`c:${k}`, valueFor(`c:${k}`, round));
    for (let k = 0; k < 20; k += 4) await store.delete(`c:${k}`);
    const before = store.statistics();
    expect(before.deadBytes).toBeGreaterThan(before.liveBytes);
    const reads = Array.from({ length: 20 }, (_, k) => store.get(`c:${k}`));
    const result = await store.compact();
    await Promise.all(reads);
    expect(result.inputSegments).toBeGreaterThan(1);
    expect(result.reclaimedBytes).toBeGreaterThan(0);
    const after = store.statistics();
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(after.deadBytes).toBeLessThan(before.deadBytes);
    const check = async (s: SegmentSnapshotStore) => {
      for (let k = 0; k < 20; k++) {
        const got = await s.get(`c:${k}`);
        if (k % 4 === 0) expect(got).toBeUndefined();
        else expect(got!.bytes.equals(valueFor(`c:${k}`, 3))).toBe(true);
      }
    };
    await check(store);
    await store.close();
    expect(readdirSync(dir).filter((n) => n.endsWith('.compacting'))).toEqual([]);
    const again = await openStore({ directory: dir, segmentBytes: 32 * 1024 });
    expect(again.recovery).toMatchObject({ truncatedBytes: 0, damaged: [] });
    await check(again);
  });

  it('a crash at each point of a compaction loses nothing (the directory as each crash would leave it)', async () => {
    // Build a store with dead records, copy its directory (the inputs), compact, then compose the states a
    // crash could leave: output being written, outputs renamed but inputs all there, some inputs removed.
    const dir = directory();
    const store = await SegmentSnapshotStore.open({ directory: dir, segmentBytes: 16 * 1024, autoCompact: false });
    for (let round = 0; round < 3; round++) for (let k = 0; k < 12; k++) await store.put(`x:${k}`, valueFor(`x:${k}`, round));
    for (let k = 0; k < 12; k += 3) await store.delete(`x:${k}`);
    await store.put('x:0', valueFor('x:0', 9)); // deleted, then written again
    const inputs = directory();
    cpSync(dir, inputs, { recursive: true });
    const inputNames = segments(inputs);
    await store.compact();
    await store.close();
    const outputs = segments(dir).filter((n) => !inputNames.includes(n));
    expect(outputs.length).toBeGreaterThan(0);
    const expected = (k: number) => (k === 0 ? valueFor('x:0', 9) : k % 3 === 0 ? undefined : valueFor(`x:${k}`, 2));

    const states: Array<[string, (d: string) => void]> = [
      ['output half written under its temporary name', (d) => cpSync(join(dir, outputs[0]!), join(d, `${outputs[0]}.compacting`))],
      ['outputs renamed, no input removed yet', (d) => outputs.forEach((o) => cpSync(join(dir, o), join(d, o)))],
      [
        'outputs renamed, the oldest inputs removed',
        (d) => {
          outputs.forEach((o) => cpSync(join(dir, o), join(d, o)));
          inputNames.slice(0, Math.ceil(inputNames.length / 2)).forEach((n) => rmSync(join(d, n)));
        },
      ],
    ];
    for (const [label, make] of states) {
      const d = directory();
      cpSync(inputs, d, { recursive: true });
      rmSync(join(d, 'LOCK'), { force: true });
      make(d);
      const reopened = await SegmentSnapshotStore.open({ directory: d, segmentBytes: 16 * 1024, autoCompact: false });
      for (let k = 0; k < 12; k++) {
        const got = await reopened.get(`x:${k}`);
        expect(got?.bytes.equals(expected(k)!) ?? got, `${label}: x:${k}`).toBe(expected(k) === undefined ? undefined : true);
      }
      expect(readdirSync(d).filter((n) => n.endsWith('.compacting')), label).toEqual([]);
      await reopened.close();
    }
  });
});

describe('SegmentSnapshotStore crash tests (a real child process, SIGKILLed)', () => {
  it.each([
    ['killed by the parent after 400 acknowledgements', undefined, 400],
    ['killing itself right after its 300th acknowledgement', '300', 300],
  ])('keeps every put the child saw acknowledged (%s); no torn record is readable; the tail is cut', async (_label, killAfter, atLeast) => {
    const dir = directory();
    const { acks } = await runChild(dir, 'put', (state) => killAfter === undefined && state.acks.length >= atLeast, undefined, killAfter);
    expect(acks.length).toBeGreaterThanOrEqual(atLeast);
    // The lock of the killed child is stale: this process takes it over.
    const store = await openStore({ directory: dir });
    for (const { key } of acks) {
      const got = await store.get(key);
      expect(got?.bytes.equals(valueFor(key, 0)), key).toBe(true);
    }
    // Whatever else is there is a whole write the child made (acknowledged or not), never a torn one.
    for (const key of await store.list()) expect((await store.get(key))!.bytes.equals(valueFor(key, 0)), key).toBe(true);
    expect(store.recovery.damaged).toEqual([]);
    await store.close();
    const again = await openStore({ directory: dir });
    expect(again.recovery.truncatedBytes).toBe(0);
  });

  it.each([
    ['killed by the parent after 300 acknowledgements, while written records wait for a sync', undefined, 300],
    ['killing itself right after its 300th acknowledgement', '300', 300],
  ])('keeps every acknowledged put through a simulated power loss: every file cut to what a finished fsync covered (%s)', async (_label, killAfter, atLeast) => {
    const dir = directory();
    const journal = join(directory(), 'journal');
    writeFileSync(journal, '');
    const { acks } = await runChild(dir, 'put', (state) => killAfter === undefined && state.acks.length >= atLeast && state.unsyncedBytes > 0, undefined, killAfter, journal);
    const synced = new Map<number, number>();
    for (const line of readFileSync(journal, 'utf8').split('\n').filter(Boolean)) {
      const [ino, size] = line.split(' ').map(Number) as [number, number];
      synced.set(ino, Math.max(synced.get(ino) ?? 0, size));
    }
    // Power lost: what no finished sync covered may be gone, except a torn piece of it: keep the first 20 bytes of
    // the unsynced part (the start of a record: a torn header), as a disk that wrote part of a page would.
    let dropped = 0;
    const unsynced: string[] = [];
    for (const name of segments(dir)) {
      const file = join(dir, name);
      const { ino, size } = statSync(file);
      const keep = synced.get(ino) ?? 0;
      if (size === keep) continue;
      unsynced.push(name);
      const cut = size - keep > 20 ? keep + 20 : keep;
      dropped += size - cut;
      truncateSync(file, cut);
    }
    // A segment is synced whole before the next one takes a byte: only the last can hold unsynced bytes.
    expect(unsynced.every((name) => name === segments(dir).at(-1))).toBe(true);
    const store = await openStore({ directory: dir });
    for (const { key } of acks) expect((await store.get(key))?.bytes.equals(valueFor(key, 0)), `${key} (${dropped} unsynced bytes dropped)`).toBe(true);
    for (const key of await store.list()) expect((await store.get(key))!.bytes.equals(valueFor(key, 0)), key).toBe(true);
    expect(store.recovery.damaged).toEqual([]);
    // The torn record was cut (the parent killed the child frozen with records waiting for their sync: always one).
    if (killAfter === undefined) expect(unsynced.length).toBe(1);
    if (unsynced.length > 0) expect(store.recovery.truncatedBytes).toBe(20);
  });

  it('a second process cannot open the directory while the first holds it', async () => {
    const dir = directory();
    let refused: unknown;
    await runChild(dir, 'put', (state) => state.ready, async () => {
      refused = await SegmentSnapshotStore.open({ directory: dir }).catch((e: unknown) => e);
    });
    expect(code(refused)).toBe('STORE_UNAVAILABLE');
    expect((refused as Error).message).toMatch(/in use by process \d+/);
  });

  it('killed during compactions, loses no acknowledged write or delete', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const dir = directory();
      const { acks, sawCompacting } = await runChild(dir, 'churn', (state) => state.compactions >= 2 + attempt && (state.sawCompacting || state.acks.length > 6000));
      const last = new Map<string, number>();
      for (const { key, n } of acks) last.set(key, Math.max(last.get(key) ?? -1, n));
      const store = await openStore({ directory: dir, segmentBytes: 64 * 1024, compactionThresholdBytes: 96 * 1024 });
      expect(store.recovery.damaged).toEqual([]);
      for (let k = 0; k < 40; k++) {
        const key = `k:${k}`;
        const n = last.get(key) ?? -1;
        const got = await store.get(key);
        // The last acknowledged op's result, or the next op's (in flight when killed: it may have landed).
        const allowed = [n, n + 1].filter((m) => m >= 0).map((m) => (opFor(m) === 'delete' ? undefined : valueFor(key, m)));
        if (n < 0) allowed.push(undefined);
        const matches = allowed.some((v) => (v === undefined ? got === undefined : got !== undefined && got.bytes.equals(v)));
        expect(matches, `${key} after ack ${n} (killed ${sawCompacting ? 'mid-compaction' : 'between compactions'})`).toBe(true);
      }
      await store.close();
    }
  });
});

interface ChildState {
  /** With a durability journal: bytes of the newest segment written but not covered by a finished sync (polled). */
  unsyncedBytes: number;
  ready: boolean;
  acks: Array<{ key: string; n: number }>;
  compactions: number;
  sawCompacting: boolean;
}

/** Runs the child until `killWhen` holds (checked on each line and on each poll of the directory), then SIGKILLs it. */
async function runChild(dir: string, mode: 'put' | 'churn', killWhen: (state: ChildState) => boolean, whileRunning?: () => Promise<void>, killAfter?: string, journal?: string): Promise<ChildState> {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...(journal === undefined ? [] : ['--import', journalPreload]), child, dir, mode, ...(killAfter === undefined ? [] : [killAfter])], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...(journal === undefined ? {} : { MERIDIAN_DURABILITY_JOURNAL: journal }) },
  });
  const state: ChildState = { unsyncedBytes: 0, ready: false, acks: [], compactions: 0, sawCompacting: false };
  let buffered = '';
  let killed = false;
  let during: Promise<void> | undefined;
  const kill = () => {
    if (killed) return;
    killed = true;
    proc.kill('SIGKILL');
  };
  const check = () => {
    if (!killed && journal === undefined && killWhen(state)) {
      if (whileRunning && !during) during = whileRunning().finally(kill);
      else if (!whileRunning) kill();
    }
  };
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const [what, key, n, compactions] = line.split(' ');
      if (what === 'ready') state.ready = true;
      if (what === 'ack') {
        state.acks.push({ key: key!, n: Number(n) });
        if (compactions !== undefined) state.compactions = Number(compactions);
      }
    }
    check();
  });
  // Poll the directory for a compaction's output being written, to kill the child in the middle of one.
  const poll = (async () => {
    while (!killed && proc.exitCode === null && proc.signalCode === null) {
      const names = await readdir(dir).catch(() => [] as string[]);
      if (names.some((n) => n.endsWith('.compacting'))) {
        state.sawCompacting = true;
        check();
      }
      const newest = names.filter((n) => n.endsWith('.seg')).sort().at(-1);
      if (journal !== undefined && newest !== undefined) {
        const unsynced = () => {
          const { ino, size } = statSync(join(dir, newest));
          const covered = Math.max(0, ...readFileSync(journal, 'utf8').split('\n').filter((l) => l.startsWith(`${ino} `)).map((l) => Number(l.split(' ')[1])));
          return size - covered;
        };
        try {
          state.unsyncedBytes = unsynced();
          if (!killed && killWhen(state)) {
            // Freeze the child and look again: kill it only if written records still wait for their sync.
            proc.kill('SIGSTOP');
            await new Promise((resolve) => setTimeout(resolve, 5));
            state.unsyncedBytes = unsynced();
            if (killWhen(state)) kill();
            else proc.kill('SIGCONT');
          }
        } catch {
          // The segment is being created or was just removed: look again.
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  await poll;
  await during;
  if (exit.signal !== 'SIGKILL') throw new Error(`child exited on its own: ${JSON.stringify(exit)}`);
  return state;
}
