import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CrossRegionSync, ManualClock, MeridianError, type ConflictPolicy, type ReplicaRecord, type ReplicaStore, type StoredRecord } from '@meridian/core';
import { decodeBatch, encodeBatch, readOnly } from '@meridian/core/spi';
import { faultyReplicaStore, interceptReplicaStore, referenceSummaries, scanAll, syncUntilSettled } from '@meridian/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DiskWorker } from '../src/disk-worker.js';
import { parseManifest, type FileManifest } from '../src/file-manifest.js';
import { DirectoryReplicaStore, openDirectoryStores } from '../src/index.js';
import { describeTree, putFile, regionDirs } from './tree-fixture.js';

const coded = (code: string) => (e: unknown) => MeridianError.hasCode(e, code as never);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Three (or given) regions with a store each and one CrossRegionSync over them. */
async function setup(ids = ['a', 'b', 'c'], sync: Partial<ConstructorParameters<typeof CrossRegionSync>[0]> = {}, ignore: string[] = [], clock?: ManualClock) {
  const { dirs, cleanup } = await regionDirs(ids);
  cleanups.push(cleanup);
  const stores = await openDirectoryStores(
    ids.map((id) => ({ regionId: id, dataPath: dirs[id]! })),
    clock ? { ignore, clock } : { ignore },
  );
  cleanups.push(async () => {
    for (const s of stores.values()) await s.close();
  });
  const engine = new CrossRegionSync({ regions: ids.map((id) => ({ id, store: stores.get(id)! })), ...sync });
  cleanups.push(() => engine.close());
  return { dirs, stores, sync: engine };
}

/** Records as a sync batch carries them from region a: encoded in a frame (chunk bytes raw after the JSON) and decoded. */
async function overTheWire(list: readonly StoredRecord[]): Promise<ReplicaRecord[]> {
  return decodeBatch((await encodeBatch(list.map(({ seq: _s, etag: _e, ...r }) => r))).frame, { maxRawBytes: 1e8, source: 'a' });
}

/** Flips the first byte of the first record in `wire` that carries chunk bytes (in place); returns its index. */
function corruptFirstChunk(wire: ReplicaRecord[]): number {
  const victim = wire.findIndex((r) => r.value instanceof Uint8Array);
  const bad = Buffer.from(wire[victim]!.value as Uint8Array);
  bad.writeUInt8(bad.readUInt8(0) ^ 0xff, 0);
  wire[victim] = { ...wire[victim]!, value: bad };
  return victim;
}

/** Regions a and b, a large file of `size` random bytes scanned in a, its records, and `carry` that applies records to b as a sync would (over the wire, on b's current etags) and flushes. */
async function bigFileFromA(size: number) {
  const { dirs, stores } = await setup(['a', 'b'], {}, []);
  const a = stores.get('a')!;
  const b = stores.get('b')!;
  const bytes = randomBytes(size);
  await putFile(dirs.a!, 'big.bin', bytes);
  await a.rescan();
  const records = await scanAll(a);
  const carry = async (list: readonly StoredRecord[]): Promise<void> => {
    const wire = await overTheWire(list);
    const held = await b.getMany(wire.map((r) => r.key));
    await b.apply(wire.map((r, i) => ({ key: r.key, record: r, expected: held[i]?.etag ?? null })));
    await b.flush();
  };
  return { dirs, b, bytes, records, carry };
}

/** Regions a and b, a large file of `size` random bytes scanned in a, and its records; b's store is the test's to open (and reopen). */
async function bigFileInAOnly(size: number) {
  const { dirs, cleanup } = await regionDirs(['a', 'b']);
  cleanups.push(cleanup);
  const a = await DirectoryReplicaStore.open({ regionId: 'a', dataPath: dirs.a! });
  cleanups.push(() => a.close());
  const bytes = randomBytes(size);
  await putFile(dirs.a!, 'big.bin', bytes);
  await a.rescan();
  return { dirs, bytes, records: await scanAll(a) };
}

/** Scans every region, then runs rounds until one moves nothing. Bounded; names what each region still waits for. */
function settle(stores: Map<string, DirectoryReplicaStore>, sync: CrossRegionSync, maxRounds = 20): Promise<number> {
  return syncUntilSettled(sync, {
    maxRounds,
    beforeRound: async () => {
      for (const s of stores.values()) await s.rescan();
    },
    describe: () => [...stores].flatMap(([id, s]) => s.waiting().map((w) => `${id} ${w.path}: ${w.reason}`)),
  });
}

describe('DirectoryReplicaStore with CrossRegionSync', () => {
  it('carries renames over: a file moved (one delete, one new path with the same chunks) and files swapped arrive whole, the old paths gone', async () => {
    const { dirs, stores, sync } = await setup(['a', 'b']);
    const big = randomBytes(3_000_000);
    const medium = randomBytes(200_000);
    const other = randomBytes(150_000);
    await putFile(dirs.a!, 'old/big.bin', big);
    await putFile(dirs.a!, 'm.bin', medium);
    await putFile(dirs.a!, 'o.bin', other);
    for (let i = 0; i < 40; i++) await putFile(dirs.a!, `many/f${i}.txt`, `file ${i}`); // more entries than one disk-thread part
    await settle(stores, sync);
    expect(await describeTree(dirs.b!)).toEqual(await describeTree(dirs.a!));
    // Moves: the receiving region has the bytes only in the files being removed.
    await rename(join(dirs.a!, 'old', 'big.bin'), join(dirs.a!, 'new-big.bin'));
    await rename(join(dirs.a!, 'm.bin'), join(dirs.a!, 'tmp.bin'));
    await rename(join(dirs.a!, 'o.bin'), join(dirs.a!, 'm.bin'));
    await rename(join(dirs.a!, 'tmp.bin'), join(dirs.a!, 'o.bin'));
    for (let i = 0; i < 40; i++) await rename(join(dirs.a!, 'many', `f${i}.txt`), join(dirs.a!, 'many', `g${i}.txt`));
    await settle(stores, sync);
    expect(stores.get('b')!.waiting()).toEqual([]);
    expect(await describeTree(dirs.b!)).toEqual(await describeTree(dirs.a!));
    expect((await readFile(join(dirs.b!, 'new-big.bin'))).equals(big)).toBe(true);
    expect((await readFile(join(dirs.b!, 'o.bin'))).equals(medium)).toBe(true);
    expect((await readFile(join(dirs.b!, 'm.bin'))).equals(other)).toBe(true);
  });

  it('replicates files, modes, mtimes, links and deletes to every region', async () => {
    const { dirs, stores, sync } = await setup();
    await putFile(dirs.a!, 'docs/readme.txt', 'hello', 0o600, 1_700_000_000_123);
    await putFile(dirs.a!, 'bin/tool.sh', '#!/bin/sh\necho hi\n', 0o755, 1_700_000_100_000);
    await putFile(dirs.b!, 'big/data.bin', randomBytes(3_000_000), 0o640);
    await putFile(dirs.c!, 'empty', '');
    await symlink('../docs/readme.txt', join(dirs.a!, 'bin', 'readme-link'));
    await settle(stores, sync);
    const a = await describeTree(dirs.a!);
    expect([...a.keys()].sort()).toEqual(['big/data.bin', 'bin/readme-link', 'bin/tool.sh', 'docs/readme.txt', 'empty']);
    expect(a.get('bin/readme-link')).toBe('link ../docs/readme.txt');
    expect(await describeTree(dirs.b!)).toEqual(a);
    expect(await describeTree(dirs.c!)).toEqual(a);

    await rm(join(dirs.b!, 'docs/readme.txt'));
    await settle(stores, sync);
    for (const id of ['a', 'b', 'c']) expect((await describeTree(dirs[id]!)).has('docs/readme.txt')).toBe(false);
    // The delete is a tombstone that replicated, not a key that vanished.
    const [record] = await stores.get('c')!.getMany(['file:docs/readme.txt']);
    expect(record).toMatchObject({ deleted: true, origin: 'b' });
  });

  it('writes a file received out of order only once all its chunks are here', async () => {
    const { dirs, stores } = await setup(['a', 'b'], {}, []);
    await putFile(dirs.a!, 'f.bin', randomBytes(2_000_000));
    await stores.get('a')!.rescan();
    const records = await scanAll(stores.get('a')!);
    const manifest = records.find((r) => r.key === 'file:f.bin')!;
    const chunks = records.filter((r) => r.key.startsWith('chunk:'));
    expect(chunks.length).toBeGreaterThan(20);
    const b = stores.get('b')!;
    const carry = async (list: typeof records) => {
      const wire = await overTheWire(list);
      await b.apply(wire.map((r) => ({ key: r.key, record: r, expected: null })));
      await b.flush(); // files are written behind the journal
    };
    await carry([manifest, ...chunks.slice(0, 5)]);
    expect(b.waiting().map((w) => w.path)).toEqual(['f.bin']);
    expect(await readdir(dirs.b!)).not.toContain('f.bin');
    await carry(chunks.slice(5).reverse());
    expect(b.waiting()).toEqual([]);
    expect((await readFile(join(dirs.b!, 'f.bin'))).equals(await readFile(join(dirs.a!, 'f.bin')))).toBe(true);
  });

  it('writes received files behind the journal: a newer version that arrives while the older is written ends in the tree', async () => {
    const { dirs, stores } = await setup(['a', 'b'], {}, []);
    const a = stores.get('a')!;
    const b = stores.get('b')!;
    const v1 = randomBytes(3_000_000);
    const v2 = randomBytes(3_000_000);
    await putFile(dirs.a!, 'f.bin', v1);
    await a.rescan();
    const first = await overTheWire(await scanAll(a));
    await putFile(dirs.a!, 'f.bin', v2, 0o644, 1_700_000_100_000);
    await a.rescan();
    const seen = new Set(first.map((r) => `${r.key} ${r.version}`));
    const second = await overTheWire((await scanAll(a)).filter((r) => !seen.has(`${r.key} ${r.version}`) && !r.deleted));
    expect(second.some((r) => r.key === 'file:f.bin')).toBe(true);
    // The second batch is applied while the first one's file is (most likely) still being written: no flush between.
    await b.apply(first.map((r) => ({ key: r.key, record: r, expected: null })));
    const currents = await b.getMany(second.map((r) => r.key));
    await b.apply(second.map((r, i) => ({ key: r.key, record: r, expected: currents[i]?.etag ?? null })));
    await b.flush();
    expect(b.waiting()).toEqual([]);
    expect((await readFile(join(dirs.b!, 'f.bin'))).equals(v2)).toBe(true);
    // And the store knows what it wrote: a scan of b records nothing new.
    expect((await b.rescan()).changed).toEqual([]);
  });

  it('keeps a received small file in bytes of its own, not as a view that holds the whole frame it came in', async () => {
    const { dirs, stores } = await setup(['a', 'b'], {}, []);
    const a = stores.get('a')!;
    const b = stores.get('b')!;
    for (let i = 0; i < 20; i++) await putFile(dirs.a!, `s/${i}.txt`, `small file ${i}`);
    await a.rescan();
    const wire = await overTheWire(await scanAll(a));
    const framed = wire.find((r) => r.key === 'file:s/7.txt')!.value as Uint8Array;
    expect(framed.buffer.byteLength).toBeGreaterThan(framed.length); // a view of the frame, as decoded
    await b.apply(wire.map((r) => ({ key: r.key, record: r, expected: null })));
    await b.flush();
    const [stored] = await readOnly(b).getMany(['file:s/7.txt']); // the store's own record, not a copy of it
    const value = stored!.value as Uint8Array;
    expect(value.buffer.byteLength).toBe(value.length);
    expect((parseManifest(value, 'file:s/7.txt') as FileManifest).data!.toString()).toBe('small file 7');
    expect(await readFile(join(dirs.b!, 's/7.txt'), 'utf8')).toBe('small file 7');
  });

  it('builds a large received file in place: its chunks are written once, where they go, and the file is renamed into the tree', async () => {
    const { dirs, b, bytes, records, carry } = await bigFileFromA(12_000_000);
    // Manifest first, then its index pieces, then its chunks: the order a scan records them in.
    expect(records[0]!.key).toBe('file:big.bin');
    const half = Math.floor(records.length / 2);
    await carry(records.slice(0, half));
    const packs = join(dirs.b!, '.meridian-sync', 'packs');
    const assemblies = (await readdir(packs)).filter((n) => n.endsWith('.asm'));
    expect(assemblies).toHaveLength(1);
    const { ino } = await stat(join(packs, assemblies[0]!));
    // No pack holds the chunks that went into the assembly.
    expect((await readdir(packs)).filter((n) => n.endsWith('.pack'))).toHaveLength(1); // the index pieces
    await carry(records.slice(half));
    expect(b.waiting()).toEqual([]);
    expect((await readFile(join(dirs.b!, 'big.bin'))).equals(bytes)).toBe(true);
    expect((await stat(join(dirs.b!, 'big.bin'))).ino).toBe(ino);
    expect((await readdir(packs)).filter((n) => n.includes('.asm'))).toEqual([]);
    expect((await b.rescan()).changed).toEqual([]);
  });

  it('refuses a corrupted chunk bound for an assembly (checked on the disk thread): nothing of its batch stored, and the good bytes still complete the file', async () => {
    const { dirs, b, bytes, records, carry } = await bigFileFromA(6_000_000);
    // The manifest, then its index pieces and a first chunk (the order a scan records them in): b starts the
    // assembly and knows where each chunk goes. Then a batch with one of the file's chunks corrupted.
    expect(records[0]!.key).toBe('file:big.bin');
    await carry(records.slice(0, 4));
    expect((await readdir(join(dirs.b!, '.meridian-sync', 'packs'))).filter((n) => n.endsWith('.asm'))).toHaveLength(1);
    const rest = records.slice(4);
    const wire = await overTheWire(rest.slice(0, 20));
    const victim = corruptFirstChunk(wire);
    const before = (await scanAll(b)).length;
    await expect(b.apply(wire.map((r) => ({ key: r.key, record: r, expected: null })))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('carries bytes whose SHA-256 is not its key (corrupted)'), details: { field: wire[victim]!.key } });
    expect((await scanAll(b)).length).toBe(before);
    await carry(rest);
    expect(b.waiting()).toEqual([]);
    expect((await readFile(join(dirs.b!, 'big.bin'))).equals(bytes)).toBe(true);
  });

  it('writes the chunks of a frame into their assembly when the frame is handed over (prepare), before its apply: the apply needs their bytes no more', async () => {
    const { dirs, b, bytes, records, carry } = await bigFileFromA(6_000_000);
    await carry(records.slice(0, 4)); // the manifest, its index pieces, a first chunk: the assembly is started
    const rest = await overTheWire(records.slice(4));
    b.prepare(rest);
    // The same records without their bytes: stored only because the bytes are in the assembly already (the apply
    // waits for the writes prepare started).
    const bare = rest.map(({ value: _bytes, ...record }) => record);
    const held = await b.getMany(bare.map((r) => r.key));
    await b.apply(bare.map((r, i) => ({ key: r.key, record: r, expected: held[i]?.etag ?? null })));
    await b.flush();
    expect(b.waiting()).toEqual([]);
    expect((await readFile(join(dirs.b!, 'big.bin'))).equals(bytes)).toBe(true);
    expect((await readdir(join(dirs.b!, '.meridian-sync', 'packs'))).filter((n) => n.includes('.asm'))).toEqual([]);
    expect((await b.rescan()).changed).toEqual([]);
  });

  it('keeps no corrupted chunk handed over ahead: the apply of its frame still fails whole, and the good bytes complete the file', async () => {
    const { dirs, b, bytes, records, carry } = await bigFileFromA(6_000_000);
    await carry(records.slice(0, 4));
    const wire = await overTheWire(records.slice(4, 24));
    const victim = corruptFirstChunk(wire);
    const before = (await scanAll(b)).length;
    expect(() => b.prepare(wire)).not.toThrow();
    await expect(b.apply(wire.map((r) => ({ key: r.key, record: r, expected: null })))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('corrupted'), details: { field: wire[victim]!.key } });
    expect((await scanAll(b)).length).toBe(before);
    await carry(records.slice(4));
    expect(b.waiting()).toEqual([]);
    expect((await readFile(join(dirs.b!, 'big.bin'))).equals(bytes)).toBe(true);
  });

  it('keeps chunks handed over ahead whose frame was never applied across a close, and completes the file from them', async () => {
    const { dirs, bytes, records } = await bigFileInAOnly(6_000_000);
    const apply = async (store: DirectoryReplicaStore, list: readonly ReplicaRecord[]): Promise<void> => {
      const held = await store.getMany(list.map((r) => r.key));
      await store.apply(list.map((r, i) => ({ key: r.key, record: r, expected: held[i]?.etag ?? null })));
    };
    const b1 = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: dirs.b! });
    await apply(b1, await overTheWire(records.slice(0, 4)));
    const rest = await overTheWire(records.slice(4));
    b1.prepare(rest); // and the frame never applied: the link went down
    await b1.close(); // waits for the writes prepare started
    const b2 = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: dirs.b! });
    cleanups.push(() => b2.close());
    await apply(b2, rest.map(({ value: _bytes, ...record }) => record)); // the bytes are here: none needed
    await b2.flush();
    expect(b2.waiting()).toEqual([]);
    expect((await readFile(join(dirs.b!, 'big.bin'))).equals(bytes)).toBe(true);
  });

  it('keeps the chunks of a half-built file across a restart and completes it from them', async () => {
    const { dirs, bytes, records } = await bigFileInAOnly(6_000_000);
    const wire = async (list: typeof records) => (await overTheWire(list)).map((r) => ({ key: r.key, record: r, expected: null }));
    const half = Math.floor(records.length / 2);
    const first = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: dirs.b! });
    await first.apply(await wire(records.slice(0, half)));
    await first.close();
    const second = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: dirs.b! });
    cleanups.push(() => second.close());
    // The chunks that reached the assembly before the restart are here: only the rest is needed.
    const missing = records.slice(half);
    await second.apply(await wire(missing));
    await second.flush();
    expect((await readFile(join(dirs.b!, 'big.bin'))).equals(bytes)).toBe(true);
    expect(second.waiting()).toEqual([]);
  });

  it('writes a version received before a restart over the older file it found, instead of recording that file as an edit', async () => {
    const { dirs, stores, sync } = await setup(['a', 'b']);
    const a = stores.get('a')!;
    await putFile(dirs.a!, 'f.bin', randomBytes(100_000), 0o644, 1_700_000_000_000);
    await putFile(dirs.a!, 'small.txt', 'v1', 0o644, 1_700_000_000_000);
    await settle(stores, sync);
    const v2 = randomBytes(100_000);
    await putFile(dirs.a!, 'f.bin', v2, 0o644, 1_700_000_100_000);
    await putFile(dirs.a!, 'small.txt', 'v2', 0o644, 1_700_000_100_000);
    await a.rescan();
    const [f, small] = await a.getMany(['file:f.bin', 'file:small.txt']);
    // b receives both new manifests but none of f's new chunks, then stops: small.txt is written, f.bin waits.
    await sync.close();
    await stores.get('b')!.close();
    const b1 = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: dirs.b! });
    const held = await b1.getMany(['file:f.bin', 'file:small.txt']);
    await b1.apply(await overTheWire([f!, small!]).then((rs) => rs.map((record, i) => ({ key: record.key, record, expected: held[i]!.etag }))));
    await b1.flush();
    expect(b1.waiting().map((w) => w.path)).toEqual(['f.bin']);
    await b1.close();
    const b2 = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: dirs.b! });
    cleanups.push(() => b2.close());
    // The old f.bin on disk is not an edit: the received version stays current, and waits for its chunks.
    expect((await b2.getMany(['file:f.bin']))[0]!.version).toBe(f!.version);
    expect(b2.waiting().map((w) => w.path)).toEqual(['f.bin']);
    const again = new CrossRegionSync({ regions: [{ id: 'a', store: a }, { id: 'b', store: b2 }] });
    cleanups.push(() => again.close());
    await settle(new Map([['a', a], ['b', b2]]), again);
    expect((await readFile(join(dirs.b!, 'f.bin'))).equals(v2)).toBe(true);
    expect((await readFile(join(dirs.a!, 'f.bin'))).equals(v2)).toBe(true);
    expect((await a.getMany(['file:f.bin']))[0]!.version).toBe(f!.version);
    expect(await readFile(join(dirs.b!, 'small.txt'), 'utf8')).toBe('v2');
  });

  it('deletes a large file in every region when the region that received it deletes it, with no sync error on the way', async () => {
    const { dirs, stores, sync } = await setup(['a', 'b']);
    await putFile(dirs.a!, 'big.bin', randomBytes(50_000));
    await settle(stores, sync);
    await rm(join(dirs.b!, 'big.bin'));
    const errors: unknown[] = [];
    sync.on('sync:error', (e) => errors.push(e));
    await settle(stores, sync);
    // b no longer holds the chunks (records written by a): reading them to compare, as a's sync does, must not fail.
    expect(errors).toEqual([]);
    await expect(stat(join(dirs.a!, 'big.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('records a file deleted while no store was open as deleted, and a received version whose older file was deleted still arrives', async () => {
    const { dirs, stores, sync } = await setup(['a', 'b']);
    const a = stores.get('a')!;
    await putFile(dirs.a!, 'gone.txt', 'delete me');
    await putFile(dirs.a!, 'kept.bin', randomBytes(50_000));
    await settle(stores, sync);
    await putFile(dirs.a!, 'kept.bin', randomBytes(50_000), 0o644, 1_700_000_200_000);
    await a.rescan();
    const [kept] = await a.getMany(['file:kept.bin']);
    await sync.close();
    await stores.get('b')!.close();
    // b hears of kept.bin's new version (not its chunks) and stops; then both files are deleted while it is closed.
    const b1 = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: dirs.b! });
    const [held] = await b1.getMany(['file:kept.bin']);
    const [record] = await overTheWire([kept!]);
    await b1.apply([{ key: record!.key, record: record!, expected: held!.etag }]);
    await b1.close();
    await rm(join(dirs.b!, 'gone.txt'));
    await rm(join(dirs.b!, 'kept.bin'));
    const b2 = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: dirs.b! });
    cleanups.push(() => b2.close());
    const [gone, stillKept] = await b2.getMany(['file:gone.txt', 'file:kept.bin']);
    expect(gone).toMatchObject({ deleted: true, origin: 'b' });
    expect(stillKept).toMatchObject({ deleted: false, version: kept!.version });
    const again = new CrossRegionSync({ regions: [{ id: 'a', store: a }, { id: 'b', store: b2 }] });
    cleanups.push(() => again.close());
    const errors: unknown[] = [];
    again.on('sync:error', (e) => errors.push(e));
    await settle(new Map([['a', a], ['b', b2]]), again);
    expect(errors).toEqual([]);
    await expect(stat(join(dirs.a!, 'gone.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await readFile(join(dirs.b!, 'kept.bin'))).equals(await readFile(join(dirs.a!, 'kept.bin')))).toBe(true);
  });

  it('refuses a chunk whose bytes do not match its hash, and any key that is not a file or a chunk', async () => {
    const { stores } = await setup(['a', 'b']);
    const b = stores.get('b')!;
    const hash = 'ab'.repeat(32);
    const record = { key: `chunk:${hash}`, value: { data: Buffer.from('not it').toString('base64') }, deleted: false, version: '001700000000000.000000.a', origin: 'a', vv: { a: '001700000000000.000000.a' } };
    await expect(b.apply([{ key: record.key, record, expected: null }])).rejects.toSatisfy(coded('INVALID_ARGUMENT'));
    for (const key of ['k', 'file:../escape', 'file:/abs', 'file:a//b', 'chunk:xyz']) {
      await expect(b.apply([{ key, record: { ...record, key }, expected: null }])).rejects.toSatisfy(coded('INVALID_ARGUMENT'));
    }
    expect(await scanAll(b)).toEqual([]);
  });

  it('keeps its records across a restart: an unchanged tree makes no new version, a change made while closed does', async () => {
    const { dirs, cleanup } = await regionDirs(['a']);
    cleanups.push(cleanup);
    await putFile(dirs.a!, 'x/one.txt', 'one');
    await putFile(dirs.a!, 'big.bin', randomBytes(300_000));
    const first = await DirectoryReplicaStore.open({ regionId: 'a', dataPath: dirs.a! });
    const before = await scanAll(first);
    await first.close();
    // A crash in the middle of an append leaves a torn last line: it was never acknowledged, and is dropped.
    await writeFile(join(dirs.a!, '.meridian-sync', 'records.jsonl'), '{"k":"file:torn","r":{"key"', { flag: 'a' });
    const second = await DirectoryReplicaStore.open({ regionId: 'a', dataPath: dirs.a! });
    expect((await scanAll(second)).map((r) => [r.key, r.etag])).toEqual(before.map((r) => [r.key, r.etag]));
    await second.close();
    await putFile(dirs.a!, 'x/one.txt', 'one, changed while closed');
    const third = await DirectoryReplicaStore.open({ regionId: 'a', dataPath: dirs.a! });
    cleanups.push(() => third.close());
    const [record] = await third.getMany(['file:x/one.txt']);
    expect(record!.version > before.find((r) => r.key === 'file:x/one.txt')!.version).toBe(true);
    // Inlined: a small file's record holds its bytes, raw (binary), across the journal's replay too.
    expect(record!.value).toBeInstanceOf(Uint8Array);
    expect((parseManifest(record!.value, record!.key) as FileManifest).data!.toString()).toBe('one, changed while closed');
  });

  it('reads no file content for a round that sends nothing: head probes, the conflict-queue load and the tombstone purge scan without values', async () => {
    const { dirs, stores, sync } = await setup(['a', 'b']);
    await putFile(dirs.a!, 'big.bin', randomBytes(2_000_000));
    await settle(stores, sync);
    // A new engine over settled regions loads its conflict queue and purges tombstones on its first round (both
    // scan every record): a chunk read there would read the whole tree.
    const fresh = new CrossRegionSync({ regions: ['a', 'b'].map((id) => ({ id, store: stores.get(id)! })) });
    cleanups.push(() => fresh.close());
    const reads = vi.spyOn(DiskWorker.prototype, 'chunks');
    try {
      const report = await fresh.syncNow();
      expect(report.pairs.every((p) => p.ok && p.records === 0)).toBe(true);
      expect(reads.mock.calls.flatMap(([items]) => items)).toEqual([]);
    } finally {
      reads.mockRestore();
    }
    // Values are still there for whoever asks for them.
    const [chunk] = (await scanAll(stores.get('a')!)).filter((r) => r.key.startsWith('chunk:'));
    expect((await stores.get('a')!.getMany([chunk!.key]))[0]!.value).toBeInstanceOf(Uint8Array);
    const lean = await stores.get('a')!.scan({ since: 0, limit: 10_000, values: false });
    expect(lean.records.filter((r) => r.key.startsWith('chunk:')).every((r) => r.value === undefined)).toBe(true);
    expect(lean.records.filter((r) => r.key.startsWith('file:')).every((r) => r.value !== undefined)).toBe(true);
  });

  it('keeps the anti-entropy tree as core defines it (digest and entries match the reference)', async () => {
    const { dirs, stores } = await setup(['a', 'b']);
    for (let i = 0; i < 40; i++) await putFile(dirs.a!, `f${i}`, randomBytes(i * 700));
    await stores.get('a')!.rescan();
    const store = stores.get('a')!;
    const records = await scanAll(store);
    const nodes = ['', '0', 'a', '8/1', 'a4/7', 'fff', '0123'];
    expect(await store.digest(nodes)).toEqual(referenceSummaries(records, nodes));
    expect((await store.entries([''])).map(([k]) => k).sort()).toEqual(records.map((r) => r.key).sort());
  });

  it('heals a partition with nothing lost', async () => {
    const { dirs, cleanup } = await regionDirs(['a', 'b', 'c']);
    cleanups.push(cleanup);
    const stores = await openDirectoryStores(['a', 'b', 'c'].map((id) => ({ regionId: id, dataPath: dirs[id]! })));
    cleanups.push(async () => {
      for (const s of stores.values()) await s.close();
    });
    const link = faultyReplicaStore(stores.get('c')!, 'c');
    // Virtual time for the backoff of the cut pairs: each round below advances it past the retry delay.
    const clock = new ManualClock(Date.now());
    const sync = new CrossRegionSync({ regions: [{ id: 'a', store: stores.get('a')! }, { id: 'b', store: stores.get('b')! }, { id: 'c', store: link }], clock, retry: { initialDelayMillis: 10, maxDelayMillis: 10, jitterFraction: 0 } });
    const rounds = async () => {
      for (let round = 1; round <= 20; round++) {
        clock.advance(10);
        for (const s of stores.values()) await s.rescan();
        const report = await sync.syncNow();
        if (report.pairs.length === 6 && report.pairs.every((p) => p.ok && p.records === 0)) return;
      }
      throw new Error('not settled in 20 rounds');
    };
    cleanups.push(() => sync.close());
    await putFile(dirs.a!, 'before.txt', 'shared before');
    await rounds();

    link.partition();
    await putFile(dirs.a!, 'from-a.bin', randomBytes(500_000));
    await putFile(dirs.c!, 'from-c.bin', randomBytes(300_000));
    await putFile(dirs.c!, 'before.txt', 'edited in c while cut off');
    await rm(join(dirs.b!, 'before.txt')).catch(() => undefined);
    await putFile(dirs.b!, 'from-b.txt', 'b');
    for (let i = 0; i < 3; i++) {
      clock.advance(10);
      for (const s of stores.values()) await s.rescan();
      const report = await sync.syncNow();
      expect(report.pairs.filter((p) => p.from === 'c' || p.to === 'c').every((p) => !p.ok)).toBe(true);
    }
    expect((await describeTree(dirs.c!)).has('from-a.bin')).toBe(false);

    link.heal();
    await rounds();
    const a = await describeTree(dirs.a!);
    expect(await describeTree(dirs.b!)).toEqual(a);
    expect(await describeTree(dirs.c!)).toEqual(a);
    for (const path of ['from-a.bin', 'from-b.txt', 'from-c.bin']) expect(a.has(path)).toBe(true);
    // The delete in b and the edit in c were concurrent: latest-wins keeps the later one (c's edit came after b's delete).
    expect((await readFile(join(dirs.a!, 'before.txt'), 'utf8'))).toBe('edited in c while cut off');
  });

  describe.each<ConflictPolicy>(['latest-wins', 'primary-wins', 'manual'])('concurrent edits under %s', (policy) => {
    it('settles them per policy in every region', async () => {
      // The stores' versions on a clock of the test's: "later" below is later whatever the machine's speed (two
      // regions' clocks can stamp two edits in the same millisecond, and then their counters decide).
      const clock = new ManualClock(Date.now());
      const { dirs, stores, sync } = await setup(['a', 'b', 'c'], { conflictPolicy: policy, primary: 'a' }, [], clock);
      await putFile(dirs.a!, 'notes/doc.txt', 'original');
      await settle(stores, sync);
      await putFile(dirs.a!, 'notes/doc.txt', 'edit made in a', 0o644, 1_700_000_500_000);
      await stores.get('a')!.rescan();
      clock.advance(10);
      await putFile(dirs.b!, 'notes/doc.txt', 'edit made in b, later', 0o644, 1_700_000_600_000);
      await stores.get('b')!.rescan(); // b's version is the later HLC
      await settle(stores, sync);
      const expected = policy === 'primary-wins' ? 'edit made in a' : 'edit made in b, later';
      const trees = await Promise.all(['a', 'b', 'c'].map((id) => describeTree(dirs[id]!, (name) => name === '.meridian-sync')));
      expect(trees[1]).toEqual(trees[0]);
      expect(trees[2]).toEqual(trees[0]);
      for (const id of ['a', 'b', 'c']) expect(await readFile(join(dirs[id]!, 'notes/doc.txt'), 'utf8')).toBe(expected);
      const copies = [...trees[0]!.keys()].filter((p) => p.includes('.conflict-'));
      if (policy === 'manual') {
        expect(copies).toHaveLength(1);
        expect(copies[0]).toMatch(/^notes\/doc\.txt\.conflict-a-\d{8}T\d{9}Z$/);
        for (const id of ['a', 'b', 'c']) expect(await readFile(join(dirs[id]!, copies[0]!), 'utf8')).toBe('edit made in a');
        expect((await sync.conflicts()).map((c) => c.key)).toEqual(['file:notes/doc.txt']);
        // Conflict copies stay local: no record names them.
        expect((await scanAll(stores.get('a')!)).some((r) => r.key.includes('.conflict-'))).toBe(false);
      } else {
        expect(copies).toEqual([]);
        expect(sync.status().conflicts).toBeGreaterThan(0);
      }
    });
  });

  it('under manual, a delete that wins keeps the concurrent edit as a conflict copy', async () => {
    const clock = new ManualClock(Date.now()); // "later" on the test's clock, as above
    const { dirs, stores, sync } = await setup(['a', 'b'], { conflictPolicy: 'manual' }, [], clock);
    await putFile(dirs.a!, 'plan.md', 'v1');
    await settle(stores, sync);
    await putFile(dirs.a!, 'plan.md', 'edited in a');
    await stores.get('a')!.rescan();
    clock.advance(10);
    await rm(join(dirs.b!, 'plan.md'));
    await stores.get('b')!.rescan(); // the later version: a delete
    await settle(stores, sync);
    for (const id of ['a', 'b']) {
      const names = await readdir(dirs[id]!);
      expect(names).not.toContain('plan.md');
      const copy = names.find((n) => n.startsWith('plan.md.conflict-a-'));
      expect(copy).toBeDefined();
      expect(await readFile(join(dirs[id]!, copy!), 'utf8')).toBe('edited in a');
    }
    expect((await sync.conflicts()).map((c) => c.key)).toEqual(['file:plan.md']);
  });

  it('under manual, a delete that wins over a large edit keeps the edit whole as a conflict copy, though its bytes were only in the file removed', async () => {
    const clock = new ManualClock(Date.now());
    const { dirs, stores, sync } = await setup(['a', 'b'], { conflictPolicy: 'manual' }, [], clock);
    await putFile(dirs.a!, 'z.bin', randomBytes(2_000_000));
    await settle(stores, sync);
    const edit = randomBytes(2_000_000);
    await putFile(dirs.a!, 'z.bin', edit); // its chunks are in a's file and nowhere else in a
    await stores.get('a')!.rescan();
    clock.advance(10);
    await rm(join(dirs.b!, 'z.bin'));
    // Written with the delete in one pass in a (the disk threads take a batch in parts, side by side).
    for (let i = 0; i < 7; i++) await putFile(dirs.b!, `a${i}.txt`, `small ${i}`);
    await stores.get('b')!.rescan(); // the later version: a delete
    await settle(stores, sync);
    expect(stores.get('a')!.waiting()).toEqual([]);
    for (const id of ['a', 'b']) {
      const names = await readdir(dirs[id]!);
      expect(names).not.toContain('z.bin');
      const copy = names.find((n) => n.startsWith('z.bin.conflict-a-'));
      expect(copy, id).toBeDefined();
      expect((await readFile(join(dirs[id]!, copy!))).equals(edit), id).toBe(true);
    }
  });

  it('under manual, a delete that reaches the edit\'s region first leaves the edit\'s bytes readable there: the other region gets its conflict copy whole', async () => {
    const clock = new ManualClock(Date.now());
    const { dirs, cleanup } = await regionDirs(['a', 'b']);
    cleanups.push(cleanup);
    const stores = await openDirectoryStores(['a', 'b'].map((id) => ({ regionId: id, dataPath: dirs[id]! })), { clock });
    cleanups.push(async () => {
      for (const s of stores.values()) await s.close();
    });
    const a = stores.get('a')!;
    // a as the sync sees it: while `holdReads` is set, a's push reads its log as usual, but the chunk bytes of the page
    // only once a delivery to a has been flushed. So the edit's records are read before b's delete reaches a, and its
    // bytes after a wrote that delete (renamed the edit into its conflict copy, removed z.bin): the order a loaded
    // machine gave one run in five.
    let holdReads = false;
    let delivered!: () => void;
    const flushedInA = new Promise<void>((resolve) => (delivered = resolve));
    const aSeen = interceptReplicaStore(a, {
      scan: async (o) => {
        if (!holdReads || o.values === false) return a.scan(o);
        const page = await a.scan({ ...o, values: false });
        const chunks = page.records.filter((r) => r.key.startsWith('chunk:') && !r.deleted);
        if (chunks.length === 0) return a.scan(o);
        await flushedInA;
        const bytes = new Map((await a.getMany(chunks.map((r) => r.key))).map((r) => [r!.key, r!.value]));
        return { ...page, records: page.records.map((r) => (bytes.has(r.key) ? { ...r, value: bytes.get(r.key) } : r)) };
      },
      flush: async (o) => {
        await a.flush(o);
        delivered();
      },
    });
    const sync = new CrossRegionSync({ regions: [{ id: 'a', store: aSeen }, { id: 'b', store: stores.get('b')! }], conflictPolicy: 'manual' });
    cleanups.push(() => sync.close());
    await putFile(dirs.a!, 'z.bin', randomBytes(2_000_000));
    await settle(stores, sync);
    const edit = randomBytes(2_000_000);
    await putFile(dirs.a!, 'z.bin', edit); // its chunks are in a's z.bin and nowhere else in a
    await a.rescan();
    clock.advance(10);
    await rm(join(dirs.b!, 'z.bin'));
    await stores.get('b')!.rescan(); // the later version: a delete
    holdReads = true;
    await sync.syncNow();
    holdReads = false;
    expect(await readdir(dirs.a!)).not.toContain('z.bin'); // written in a before a's push read the edit's bytes
    await settle(stores, sync);
    for (const id of ['a', 'b']) {
      expect(stores.get(id)!.waiting(), id).toEqual([]);
      const names = await readdir(dirs[id]!);
      expect(names).not.toContain('z.bin');
      const copy = names.find((n) => n.startsWith('z.bin.conflict-a-'));
      expect(copy, id).toBeDefined();
      expect((await readFile(join(dirs[id]!, copy!))).equals(edit), id).toBe(true);
    }
    expect((await sync.conflicts()).map((c) => c.key)).toEqual(['file:z.bin']);
  });

  it('under manual, a region reopened after a delete won over its edit still sends the edit\'s bytes from the conflict copy', async () => {
    const clock = new ManualClock(Date.now());
    const { dirs, cleanup } = await regionDirs(['a', 'b']);
    cleanups.push(cleanup);
    const open = (id: string) => DirectoryReplicaStore.open({ regionId: id, dataPath: dirs[id]!, clock });
    const b = await open('b');
    cleanups.push(() => b.close());
    let a = await open('a');
    cleanups.push(() => a.close()); // the store open at the end
    // a's own writes cannot be read by the sync while `cut` is set (its pushes fail); what b sends still reaches a.
    let cut = false;
    const aSeen = (): ReplicaStore =>
      interceptReplicaStore(a, {
        scan: async (o) => {
          if (cut && o.origin === 'a') throw new MeridianError('STORE_UNAVAILABLE', 'a: its own writes cannot be read (test)');
          return a.scan(o);
        },
      });
    const engine = () => new CrossRegionSync({ regions: [{ id: 'a', store: aSeen() }, { id: 'b', store: b }], conflictPolicy: 'manual' });
    const stores = () => new Map([['a', a], ['b', b]]);
    const first = engine();
    await putFile(dirs.a!, 'z.bin', randomBytes(2_000_000));
    await settle(stores(), first);
    const edit = randomBytes(2_000_000);
    await putFile(dirs.a!, 'z.bin', edit);
    await a.rescan();
    clock.advance(10);
    await rm(join(dirs.b!, 'z.bin'));
    await b.rescan();
    cut = true;
    await first.syncNow(); // b's delete reaches a, which keeps its edit as the conflict copy; a sends nothing
    await first.close();
    expect((await readdir(dirs.a!)).filter((n) => n.startsWith('z.bin'))).toEqual([expect.stringMatching(/^z\.bin\.conflict-a-/)]);
    // a restarts: its edit is in the copy only, which the store's scan skips.
    await a.close();
    a = await open('a');
    cut = false;
    const second = engine();
    cleanups.push(() => second.close());
    await settle(stores(), second);
    for (const [id, dir] of Object.entries(dirs)) {
      const names = await readdir(dir);
      expect(names).not.toContain('z.bin');
      const copy = names.find((n) => n.startsWith('z.bin.conflict-a-'));
      expect(copy, id).toBeDefined();
      expect((await readFile(join(dir, copy!))).equals(edit), id).toBe(true);
    }
    expect(a.waiting()).toEqual([]);
    expect(b.waiting()).toEqual([]);
  });

  it('never writes a received version over a local edit not scanned yet: it waits, named, and the scan records the edit first', async () => {
    const clock = new ManualClock(Date.now()); // "later" on the test's clock
    const { dirs, stores, sync } = await setup(['a', 'b'], {}, [], clock);
    const b = stores.get('b')!;
    await putFile(dirs.a!, 'doc.txt', 'v1');
    await putFile(dirs.a!, 'gone.txt', 'v1');
    await settle(stores, sync);
    await putFile(dirs.b!, 'doc.txt', 'edited in b, not scanned yet');
    await rm(join(dirs.b!, 'gone.txt')); // deleted in b, not scanned yet
    await putFile(dirs.a!, 'doc.txt', 'edited in a');
    await putFile(dirs.a!, 'gone.txt', 'v2 from a');
    await stores.get('a')!.rescan();
    await sync.syncNow(); // b receives both without a scan of its own
    expect(await readFile(join(dirs.b!, 'doc.txt'), 'utf8')).toBe('edited in b, not scanned yet');
    expect(b.waiting()).toEqual([{ path: 'doc.txt', reason: expect.stringMatching(/changed here since the store last looked/) }]);
    // A file deleted here gets the newer version received (a received write is never dropped for an older delete).
    expect(await readFile(join(dirs.b!, 'gone.txt'), 'utf8')).toBe('v2 from a');
    clock.advance(10);
    await settle(stores, sync); // b's scan makes its edit the later version: it wins everywhere, nothing lost
    expect(b.waiting()).toEqual([]);
    for (const id of ['a', 'b']) expect(await readFile(join(dirs[id]!, 'doc.txt'), 'utf8')).toBe('edited in b, not scanned yet');
    for (const id of ['a', 'b']) expect(await readFile(join(dirs[id]!, 'gone.txt'), 'utf8')).toBe('v2 from a');
  });

  it('a version held back by a local edit waits for the scan: a later local delete of that file is not undone by the next write pass', async () => {
    const clock = new ManualClock(Date.now());
    const { dirs, stores, sync } = await setup(['a', 'b'], {}, [], clock);
    const b = stores.get('b')!;
    await putFile(dirs.a!, 'doc.txt', 'v1');
    await settle(stores, sync);
    await putFile(dirs.b!, 'doc.txt', 'edited in b, not scanned yet');
    await putFile(dirs.a!, 'doc.txt', 'edited in a');
    await stores.get('a')!.rescan();
    await sync.syncNow();
    expect(b.waiting().map((w) => w.path)).toEqual(['doc.txt']);
    await rm(join(dirs.b!, 'doc.txt')); // then deleted in b, still not scanned: the path is free now
    await putFile(dirs.a!, 'other.txt', 'another file');
    await stores.get('a')!.rescan();
    await sync.syncNow(); // b receives other.txt: a write pass runs, and leaves doc.txt alone
    expect(await readFile(join(dirs.b!, 'other.txt'), 'utf8')).toBe('another file');
    await expect(readFile(join(dirs.b!, 'doc.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    clock.advance(10);
    await settle(stores, sync); // b's scan records the delete, b's latest change: it wins everywhere
    for (const id of ['a', 'b']) await expect(readFile(join(dirs[id]!, 'doc.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    for (const id of ['a', 'b']) expect(await readFile(join(dirs[id]!, 'other.txt'), 'utf8')).toBe('another file');
    expect(b.waiting()).toEqual([]);
  });

  it('a reader never sees a torn file while a new version is written', async () => {
    const { dirs, stores, sync } = await setup(['a', 'b']);
    const v1 = randomBytes(8_000_000);
    const v2 = Buffer.from(v1);
    v2.fill(7, 1_000_000, 7_000_000);
    await putFile(dirs.a!, 'f.bin', v1);
    await settle(stores, sync);
    await putFile(dirs.a!, 'f.bin', v2);
    await stores.get('a')!.rescan();
    const file = join(dirs.b!, 'f.bin');
    let stop = false;
    let reads = 0;
    const reader = (async () => {
      while (!stop) {
        const data = await readFile(file);
        expect(data.equals(v1) || data.equals(v2)).toBe(true);
        reads += 1;
      }
    })();
    await settle(stores, sync);
    stop = true;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect((await readFile(file)).equals(v2)).toBe(true);
    expect((await readdir(dirs.b!)).filter((n) => n.includes('meridian-tmp'))).toEqual([]);
  });

  it('skips ignored paths and never syncs its own state, temp files or conflict copies', async () => {
    const { dirs, stores, sync } = await setup(['a', 'b'], {}, ['*.log', '!keep.log', 'build/', '/top-only.txt', 'cache/**/*.tmp']);
    for (const p of ['app.log', 'sub/x.log', 'keep.log', 'build/out.js', 'src/build/y.js', 'top-only.txt', 'sub/top-only.txt', 'cache/a/b/c.tmp', 'cache/c.tmp', 'cache/c.txt', 'ok.txt', 'x.conflict-z-20260101T000000000Z']) {
      await putFile(dirs.a!, p, p);
    }
    await settle(stores, sync);
    expect([...(await describeTree(dirs.b!)).keys()].sort()).toEqual(['cache/c.txt', 'keep.log', 'ok.txt', 'sub/top-only.txt']);
  });

  it('never writes through a symbolic link that stands where a directory should', async () => {
    const { dirs, stores, sync } = await setup(['a', 'b']);
    const outside = join(dirs.b!, '..', 'outside');
    await mkdir(outside);
    await symlink(outside, join(dirs.b!, 'sub'));
    await stores.get('b')!.rescan();
    await putFile(dirs.a!, 'sub2/f.txt', 'x');
    await rm(join(dirs.b!, 'sub'));
    await stores.get('b')!.rescan();
    await symlink(outside, join(dirs.b!, 'sub2'));
    await stores.get('b')!.rescan();
    // a's sub2/f.txt meets b's link "sub2": the link is b's data (synced as a link), never a way out.
    await putFile(dirs.a!, 'sub3/f.txt', 'y');
    for (let i = 0; i < 3; i++) {
      for (const s of stores.values()) await s.rescan().catch(() => undefined);
      await sync.syncNow();
    }
    expect(await readdir(outside)).toEqual([]);
  });
});

describe('bad input', () => {
  it('refuses a data path that does not exist or is not a directory', async () => {
    const { dirs, cleanup } = await regionDirs(['a']);
    cleanups.push(cleanup);
    await expect(DirectoryReplicaStore.open({ regionId: 'a', dataPath: join(dirs.a!, 'missing') })).rejects.toSatisfy(
      (e: unknown) => MeridianError.hasCode(e, 'INVALID_CONFIG') && (e as Error).message.includes(join(dirs.a!, 'missing')),
    );
    await writeFile(join(dirs.a!, 'plain'), 'x');
    await expect(DirectoryReplicaStore.open({ regionId: 'a', dataPath: join(dirs.a!, 'plain') })).rejects.toSatisfy(
      (e: unknown) => MeridianError.hasCode(e, 'INVALID_CONFIG') && /not a directory/.test((e as Error).message),
    );
    await expect(DirectoryReplicaStore.open({ regionId: '', dataPath: dirs.a! })).rejects.toSatisfy(coded('INVALID_CONFIG'));
  });

  it('refuses two regions on the same data path, also through a symbolic link', async () => {
    const { root, dirs, cleanup } = await regionDirs(['a']);
    cleanups.push(cleanup);
    await symlink(dirs.a!, join(root, 'alias'));
    await expect(openDirectoryStores([{ regionId: 'a', dataPath: dirs.a! }, { regionId: 'b', dataPath: join(root, 'alias') }])).rejects.toSatisfy(
      (e: unknown) => MeridianError.hasCode(e, 'INVALID_CONFIG') && /regions a and b have the same data path/.test((e as Error).message),
    );
    // And a second store on one directory in one process is refused by the state lock.
    const first = await DirectoryReplicaStore.open({ regionId: 'a', dataPath: dirs.a! });
    cleanups.push(() => first.close());
    await expect(DirectoryReplicaStore.open({ regionId: 'b', dataPath: dirs.a! })).rejects.toSatisfy(coded('STORE_UNAVAILABLE'));
  });

  it('refuses a symbolic link loop in the tree, naming it', async () => {
    const { dirs, cleanup } = await regionDirs(['a']);
    cleanups.push(cleanup);
    await mkdir(join(dirs.a!, 'd'));
    await symlink('loop2', join(dirs.a!, 'd', 'loop1'));
    await symlink('loop1', join(dirs.a!, 'd', 'loop2'));
    await expect(DirectoryReplicaStore.open({ regionId: 'a', dataPath: dirs.a! })).rejects.toSatisfy(
      (e: unknown) => MeridianError.hasCode(e, 'INVALID_ARGUMENT') && /symbolic link loop at .*d\/loop1/.test((e as Error).message),
    );
  });

  it('retries a file that changes while it is read, never records it torn, then fails with a coded error naming it', async () => {
    const { dirs, cleanup } = await regionDirs(['a']);
    cleanups.push(cleanup);
    const store = await DirectoryReplicaStore.open({ regionId: 'a', dataPath: dirs.a!, readAttempts: 3 });
    cleanups.push(() => store.close());
    await putFile(dirs.a!, 'steady.txt', 'steady');
    const file = join(dirs.a!, 'busy.log');
    await writeFile(file, randomBytes(20_000_000));
    // A writer that never stops: every read of the file overlaps a change.
    const { spawn } = await import('node:child_process');
    const writer = spawn(process.execPath, ['-e', `const fs=require('fs');for(;;){fs.appendFileSync(${JSON.stringify(file)},'x')}`], { stdio: 'ignore' });
    cleanups.push(async () => {
      writer.kill('SIGKILL');
    });
    // Until the writer is running: the file has grown.
    const { stat } = await import('node:fs/promises');
    for (let i = 0; (await stat(file)).size === 20_000_000; i++) {
      if (i > 2000) throw new Error('the writer process never started writing');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await expect(store.rescan()).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'PRECONDITION_FAILED') && /busy\.log changed while it was being read, 3 times/.test((e as Error).message));
    writer.kill('SIGKILL');
    const keys = (await scanAll(store)).map((r) => r.key);
    expect(keys).toContain('file:steady.txt');
    expect(keys).not.toContain('file:busy.log');
  });

  it('refuses bad options with INVALID_CONFIG naming the option', async () => {
    const { dirs, cleanup } = await regionDirs(['a']);
    cleanups.push(cleanup);
    await expect(DirectoryReplicaStore.open({ regionId: 'a', dataPath: dirs.a!, chunkSizes: { minBytes: 9000, avgBytes: 8192 } })).rejects.toSatisfy(
      (e: unknown) => MeridianError.hasCode(e, 'INVALID_CONFIG') && /chunkSizes/.test((e as Error).message),
    );
    await expect(DirectoryReplicaStore.open({ regionId: 'a', dataPath: dirs.a!, ignore: ['[oops'] })).rejects.toSatisfy(coded('INVALID_CONFIG'));
    await chmod(dirs.a!, 0o755);
  });
});
