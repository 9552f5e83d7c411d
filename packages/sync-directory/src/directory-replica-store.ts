import { mkdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  HybridLogicalClock,
  MeridianError,
  mergeVectors,
  systemClock,
  type ApplyResult,
  type MerkleSummary,
  type ReplicaCallOptions,
  type ReplicaEntry,
  type ReplicaRecord,
  type ReplicaStore,
  type ReplicaWrite,
  type ScanOptions,
  type ScanPage,
  type StoredRecord,
} from '@meridian/core';
import { checkWrites, lendReads, lockDirectory, throwIfAborted } from '@meridian/core/spi';
import { unpackEntries } from './chunk-entry.js';
import { collectChunkGarbage } from './chunk-garbage.js';
import { ChunkLocator } from './chunk-locator.js';
import { CONFLICT_COPY } from './conflict-copy-name.js';
import { ContentChunker } from './content-chunker.js';
import { TEMP_MARK, sameStat, type FileStat, type ReadResult } from './disk-protocol.js';
import { DISK_BATCH, DiskPool, fromWorker } from './disk-worker.js';
import { parseDirectoryOptions, type DirectoryReplicaStoreOptions, type ResolvedDirectoryOptions } from './directory-store-options.js';
import { resolveDataPath } from './data-path.js';
import { listedEntries, manifestJson, manifestValue, parseManifest, sameContent, sameManifest, SMALL_FILE_ROOM, withHeaderRoom, type Manifest } from './file-manifest.js';
import { chunkBytes, manifestOf } from './manifest-chunks.js';
import { FileAssemblies, type ReceivedVersion } from './file-assemblies.js';
import { IgnoreRules } from './ignore-rules.js';
import { DiskLedger } from './disk-ledger.js';
import { DiskState, type DiskFile } from './disk-state.js';
import { TreeWriter, type WaitingFile } from './tree-writer.js';
import { JournalReplicaStore } from './journal-replica-store.js';
import { CHUNK_PREFIX, FILE_PREFIX, parseKey } from './record-keys.js';
import { walkTree, type SkippedEntry, type TreeEntry } from './tree-walk.js';

/** Read batches a scan keeps in flight. */
const READ_AHEAD = 4;

/** What one {@link DirectoryReplicaStore.rescan} found and did. */
export interface RescanReport {
  /** Files and links whose new version was recorded (created or changed here). */
  changed: string[];
  /** Files and links deleted here (recorded as tombstones). */
  deleted: string[];
  /** Paths left out of sync, and why. */
  skipped: SkippedEntry[];
  /** Files received from other regions and not written yet: their chunks have not all arrived, or writing failed. */
  waiting: WaitingFile[];
}

const STATE_DIR = '.meridian-sync';

/**
 * A region's data directory as a `ReplicaStore`, for `CrossRegionSync`:
 * a file is the record `file:<relative path>` whose value is its manifest
 * (mode, mtime, size, and its content-defined chunks or, for small files, its
 * bytes); a chunk is the record `chunk:<sha-256>` carrying the chunk's bytes.
 * `rescan()` turns what changed in the tree into new versions (size, mtime,
 * ctime and inode tell a file unchanged without reading it). Received files
 * are written once all their chunks are here, whatever order they came in,
 * through a temp file and a rename, so a reader never sees a torn file;
 * manual-policy losers are kept as `NAME.conflict-REGION-TIME`. Chunk bytes
 * are read from the tree itself when a record is sent (never copied aside) and
 * checked against their hash. Open with {@link DirectoryReplicaStore.open}.
 */
export class DirectoryReplicaStore implements ReplicaStore {
  /** The region whose directory this is. */
  readonly regionId: string;
  /** The data path, resolved (realpath). */
  readonly dataPath: string;
  readonly #o: ResolvedDirectoryOptions;
  readonly #inner: JournalReplicaStore;
  readonly #hlc: HybridLogicalClock;
  readonly #chunker: ContentChunker;
  readonly #ignore: IgnoreRules;
  readonly #locator: ChunkLocator;
  readonly #stateRelative: string | undefined;
  readonly #unlock: () => Promise<void>;
  readonly #disk: DiskState;
  // The first scan after an open compares the tree with the ledger (which version each file held at the last stop).
  #reopened = true;
  readonly #io: DiskPool;
  // Large received files being built in place.
  #assemblies!: FileAssemblies;
  // Received files are written behind the journal: one pass after another, overlapping the next apply.
  #writer!: TreeWriter;
  #queue: Promise<unknown> = Promise.resolve();
  #gcDue = true;
  #closed = false;

  private constructor(o: ResolvedDirectoryOptions, dataPath: string, state: string, inner: JournalReplicaStore, ledger: DiskLedger, unlock: () => Promise<void>) {
    this.#unlock = unlock;
    this.#o = o;
    this.regionId = o.regionId;
    this.dataPath = dataPath;
    this.#inner = inner;
    this.#hlc = new HybridLogicalClock({ node: o.regionId, clock: o.clock ?? systemClock, maxClockSkewMillis: o.maxClockSkewMillis });
    this.#chunker = new ContentChunker(o.chunkSizes);
    this.#ignore = new IgnoreRules(o.ignore);
    this.#locator = new ChunkLocator(dataPath, join(state, 'packs'), o.durable);
    this.#disk = new DiskState(this.#locator, ledger);
    this.#io = new DiskPool(o.ioThreads, this.#chunker.params, TEMP_MARK, o.regionId);
    // The Syncer only serializes what it reads: it gets the records themselves, not a copy each (a small file's
    // bytes were copied on every read). Chunks still come with their bytes read from the tree.
    lendReads(this, {
      getMany: async (keys, options = {}) => {
        this.#check(options, 'getMany');
        return this.#present(await inner.lent.getMany(keys, options));
      },
      scan: async (options) => {
        this.#check(options, 'scan');
        return this.#scanned(await inner.lent.scan(options), options);
      },
    });
    const rel = relative(dataPath, state);
    this.#stateRelative = rel !== '' && !rel.startsWith('..') ? rel.split(sep).join('/') : undefined;
  }

  /**
   * Opens a region's directory and scans it once. `INVALID_CONFIG` naming the
   * path when it does not exist or is not a directory; `STORE_UNAVAILABLE` when
   * another store has its state open; `INVALID_ARGUMENT` for a symbolic link
   * loop in the tree.
   */
  static async open(options: DirectoryReplicaStoreOptions): Promise<DirectoryReplicaStore> {
    const o = parseDirectoryOptions(options);
    const dataPath = await resolveDataPath(o.dataPath, o.regionId);
    const state = o.stateDirectory ?? join(dataPath, STATE_DIR);
    await mkdir(state, { recursive: true });
    const unlock = await lockDirectory(state, `directory store of ${o.regionId}`);
    let inner: JournalReplicaStore;
    let ledger: DiskLedger;
    try {
      inner = await JournalReplicaStore.open(state, { durable: o.durable });
      ledger = await DiskLedger.open(state, { durable: o.durable }).catch(async (error: unknown) => {
        await inner.close();
        throw error;
      });
    } catch (error) {
      await unlock();
      throw error;
    }
    const store = new DirectoryReplicaStore(o, dataPath, state, inner, ledger, unlock);
    // An assembly is renamed into the tree: only when the state directory is on the data path's file system.
    store.#assemblies = new FileAssemblies(store.#locator, (await stat(state)).dev === (await stat(dataPath)).dev, (...args) => store.#io.place(...args));
    store.#writer = new TreeWriter({ dataPath, regionId: o.regionId, durable: o.durable, inner, io: store.#io, locator: store.#locator, assemblies: store.#assemblies, disk: store.#disk });
    try {
      await store.#locator.load();
      await store.rescan();
      await store.#exclusive(() => store.#resumeWaiting());
      store.#reopened = false;
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /**
   * Walks the tree and records what changed since the last scan: new and
   * changed files as new versions (their chunks first), removed ones as
   * tombstones; then retries received files still waiting, and drops chunks
   * no manifest needs any more. A file that keeps changing while it is read is
   * left for the next scan, and the scan ends with `PRECONDITION_FAILED` naming
   * it once everything else is recorded.
   */
  async rescan(options: ReplicaCallOptions = {}): Promise<RescanReport> {
    this.#check(options, 'rescan');
    return this.#exclusive(() => this.#rescan(options.signal));
  }

  /** Paths received from other regions and not written yet, with why. */
  waiting(): WaitingFile[] {
    return this.#writer.waiting();
  }

  /**
   * Current records for `keys`; a chunk's value is its bytes (a `Uint8Array`,
   * which a sync frame carries as raw bytes), read from the tree or a pack and
   * checked against the hash.
   */
  async getMany(keys: readonly string[], options: ReplicaCallOptions = {}): Promise<Array<StoredRecord | undefined>> {
    this.#check(options, 'getMany');
    return this.#present(await this.#inner.getMany(keys, options));
  }

  /**
   * Changes since a sequence number (the push loop's change log), chunk bytes
   * as in `getMany`. With `values: false` a chunk comes without its bytes (a
   * chunk never holds conflicts): the sync's head probes, conflict-queue load
   * and tombstone purge read no file content.
   */
  async scan(options: ScanOptions & ReplicaCallOptions): Promise<ScanPage> {
    this.#check(options, 'scan');
    return this.#scanned(await this.#inner.scan(options), options);
  }

  async #scanned(page: ScanPage, options: ScanOptions): Promise<ScanPage> {
    if (options.values === false) return { ...page, records: page.records.map((r) => (r.key.startsWith(CHUNK_PREFIX) && !r.deleted ? { ...r, value: undefined } : r)) };
    return { ...page, records: (await this.#present(page.records)) as StoredRecord[] };
  }

  /** Anti-entropy tree summaries, as core defines them. */
  async digest(nodes: readonly string[], options: ReplicaCallOptions = {}): Promise<MerkleSummary[]> {
    this.#check(options, 'digest');
    return this.#inner.digest(nodes, options);
  }

  /** The records of tree nodes, as entries. */
  async entries(nodes: readonly string[], options: ReplicaCallOptions = {}): Promise<ReplicaEntry[]> {
    this.#check(options, 'entries');
    return this.#inner.entries(nodes, options);
  }

  /**
   * Conditional writes, as every store does them; a `file:` record is then
   * written to the tree once its chunks are here, behind the journal (the
   * next batch is taken while the disk thread writes this one's files:
   * {@link flush} waits for them, and `CrossRegionSync` calls it at the end of
   * every delivery); a `chunk:` record's bytes are checked against its hash
   * and kept until the file that needs them is written. A key that is neither, a malformed manifest or a chunk whose bytes
   * do not match is `INVALID_ARGUMENT` and nothing of the batch is applied.
   */
  async apply(writes: readonly ReplicaWrite[], options: ReplicaCallOptions = {}): Promise<ApplyResult> {
    this.#check(options, 'apply');
    checkWrites(writes);
    const parsed = writes.map((w) => parseKey(w.key));
    // Checked here, before anything is applied; kept for the assemblies below.
    const manifests = new Map<string, Manifest>();
    writes.forEach((w, i) => {
      const key = parsed[i]!;
      if (key.kind === 'file' && w.record && !w.record.deleted) manifests.set(w.key, parseManifest(w.record.value, w.key));
    });
    return this.#exclusive(async () => {
      this.#check(options, 'apply');
      // Chunks of this batch staged ahead (`prepare`) are here once those writes end.
      await this.#assemblies.ahead(parsed.flatMap((k) => (k.kind === 'chunk' ? [k.hash] : [])));
      const currents = await this.#inner.lent.getMany(
        writes.map((w) => w.key),
        options,
      );
      const rejected = new Set<string>();
      const accepted: ReplicaWrite[] = [];
      const staging = new Map<string, Buffer>();
      for (const [i, write] of writes.entries()) {
        if ((currents[i]?.etag ?? null) !== write.expected) {
          rejected.add(write.key);
          continue;
        }
        const key = parsed[i]!;
        const record = write.record;
        if (!record) accepted.push(write);
        else if (key.kind === 'chunk') accepted.push({ ...write, record: this.#acceptChunk(key.hash, record, staging) });
        else accepted.push({ ...write, record: this.#received(record, manifests.get(write.key)) });
        if (record) this.#observe(record.version);
      }
      // The batch's chunks on disk before their records are: a record never names bytes that are not here.
      await this.#assemblies.stage(staging);
      const result = await this.#inner.apply(accepted, options);
      const appliedFiles = new Map<string, ReceivedVersion | undefined>();
      const byKey = new Map(accepted.map((w) => [w.key, w]));
      for (const key of result.applied) {
        const k = parseKey(key);
        if (k.kind === 'file') {
          this.#writer.expect(k.path, 'its chunks have not all arrived');
          const record = byKey.get(key)?.record;
          appliedFiles.set(k.path, record ? { version: record.version, manifest: manifests.get(key) } : undefined);
        }
        this.#gcDue = true;
      }
      await this.#assemblies.note(appliedFiles);
      this.#writer.behind();
      const applied = new Set(result.applied);
      for (const key of result.rejected) rejected.add(key);
      return { applied: writes.map((w) => w.key).filter((k) => applied.has(k)), rejected: writes.map((w) => w.key).filter((k) => rejected.has(k)) };
    });
  }

  /**
   * A received frame before its apply: the chunk bytes a large file being
   * assembled here waits for start to be checked and written on the disk
   * thread now, while the frames before it are applied (`CrossRegionSync`
   * calls this as each frame is decoded). Changes no record.
   */
  prepare(records: readonly ReplicaRecord[]): void {
    if (this.#closed) return;
    const staging = new Map<string, Buffer>();
    for (const record of records) {
      if (record.deleted || !record.key.startsWith(CHUNK_PREFIX)) continue;
      const bytes = chunkBytes(record.value);
      if (bytes) staging.set(record.key.slice(CHUNK_PREFIX.length), bytes);
    }
    // Its failures stay inside (a chunk not staged ahead is staged by the apply, which reports them).
    if (staging.size > 0) this.#assemblies.stageAhead(staging);
  }

  /**
   * Waits until every received file that can be written is in the tree;
   * rejects with the failure of a write pass since the last flush (files it
   * could not write stay in {@link waiting}, and are tried again).
   */
  async flush(options: ReplicaCallOptions = {}): Promise<void> {
    this.#check(options, 'flush');
    await this.#exclusive(async () => {
      await this.#writer.idle();
      const error = this.#writer.takeError();
      if (error) throw error;
    });
  }

  /** Waits for work in flight and releases the state directory. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    await this.#writer?.idle();
    await this.#assemblies?.settled();
    await this.#io.close();
    await this.#disk.close();
    await this.#inner.close();
    await this.#unlock();
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // --- scanning -----------------------------------------------------------

  async #rescan(signal: AbortSignal | undefined): Promise<RescanReport> {
    // A file being renamed into place must not look like a local change.
    await this.#writer.idle();
    const seen = new Set<string>();
    const found: Array<{ path: string; disk: DiskFile }> = [];
    const unstable: MeridianError[] = [];
    const toRead: TreeEntry[] = [];
    // Read and cut on the disk threads, a batch at a time, while the walk goes on: a few batches in flight, each
    // handled as it comes back (the list is sorted after), so while one thread reads a large file the batches the
    // other threads read are turned into manifests meanwhile.
    const batch = { inlineMaxBytes: this.#o.inlineMaxBytes, inlineRoom: SMALL_FILE_ROOM, attempts: this.#o.readAttempts };
    let walked = false;
    let stopped = false;
    let nextAt = 0;
    const inFlight = new Map<number, Promise<[number, ReadResult[]]>>();
    let wake = (): void => undefined;
    const launch = (): void => {
      while (!stopped && inFlight.size < READ_AHEAD) {
        const available = toRead.length - nextAt;
        // While the walk goes on, only whole batches: a directory at a time would make many small requests.
        if (available <= 0 || (!walked && available < DISK_BATCH)) return;
        const at = nextAt;
        nextAt += Math.min(DISK_BATCH, available);
        const read = this.#io.read(toRead.slice(at, nextAt).map((e) => ({ path: join(this.dataPath, e.path), size: e.stat.size })), batch).then((r): [number, ReadResult[]] => [at, r]);
        read.catch(() => undefined); // awaited below, unless an abort or an error ends the scan first
        inFlight.set(at, read);
        wake();
      }
    };
    const take = (entries: TreeEntry[]): void => {
      for (const entry of entries) {
        seen.add(entry.path);
        const known = this.#disk.get(entry.path);
        if (known && sameStat(known.stat, entry.stat)) continue;
        if (entry.kind === 'link') {
          found.push({ path: entry.path, disk: { stat: entry.stat, manifest: { type: 'link', target: entry.target, mtimeMs: Math.round(entry.stat.mtimeMs) }, chunks: [] } });
        } else toRead.push(entry);
      }
      launch();
    };
    const walking = walkTree(this.dataPath, this.#ignore, (rel) => this.#isInternal(rel), (paths, links) => this.#io.lstat(paths, links), signal, take);
    walking.catch(() => undefined); // awaited below
    let skipped: SkippedEntry[] | undefined;
    try {
      while (skipped === undefined || inFlight.size > 0) {
        const woken = new Promise<'woken'>((resolve) => (wake = () => resolve('woken')));
        const next = await Promise.race<[number, ReadResult[]] | 'woken' | 'walked'>([...inFlight.values(), woken, ...(skipped === undefined ? [walking.then(() => 'walked' as const)] : [])]);
        signal?.throwIfAborted();
        if (next === 'woken') continue;
        if (next === 'walked') {
          skipped = (await walking).skipped;
          walked = true;
          launch();
          continue;
        }
        const [at, results] = next;
        inFlight.delete(at);
        launch();
        for (const [i, read] of results.entries()) {
          const path = toRead[at + i]!.path;
          if ('missing' in read) continue; // removed since the walk: the next scan sees it gone
          if ('unstable' in read) {
            unstable.push(
              new MeridianError('PRECONDITION_FAILED', `${join(this.dataPath, path)} changed while it was being read, ${this.#o.readAttempts} times in a row; it is not synced until it holds still (it will be tried again on the next scan)`, {
                details: { key: join(this.dataPath, path) },
              }),
            );
            continue;
          }
          if ('error' in read) throw fromWorker(read.error);
          const chunks = unpackEntries(Buffer.from(read.chunks.buffer, read.chunks.byteOffset, read.chunks.byteLength))!;
          const inline = read.inline ? withHeaderRoom(Buffer.from(read.inline.buffer, read.inline.byteOffset, read.inline.byteLength)) : undefined;
          found.push({ path, disk: { stat: read.stat, manifest: await manifestOf(read.stat, chunks, inline, this.#locator), chunks } });
        }
      }
    } catch (error) {
      // Nothing of this scan goes on behind its failure: the walk and the reads in flight end first.
      stopped = true;
      await Promise.all([walking.catch(() => undefined), ...[...inFlight.values()].map((p) => p.catch(() => undefined))]);
      throw error;
    }
    found.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    const gone = this.#disk.paths().filter((p) => !seen.has(p));
    const currents = await this.#inner.lent.getMany([...found.map((f) => FILE_PREFIX + f.path), ...gone.map((p) => FILE_PREFIX + p)]);
    const report: RescanReport = { changed: [], deleted: [], skipped, waiting: [] };
    const fileWrites: ReplicaWrite[] = [];
    const needChunks = new Map<string, number>();
    found.forEach(({ path, disk }, i) => {
      const current = currents[i];
      const recorded = current && !current.deleted ? parseManifest(current.value, current.key) : undefined;
      if (recorded && sameManifest(recorded, disk.manifest)) {
        // Kept with the recorded manifest: a small file's bytes are then held once, in its record.
        this.#disk.set(path, { ...disk, manifest: recorded }, current!.version);
      } else if (current && this.#stale(path, disk.stat, current.version)) {
        // Untouched since the store last saw it, and a newer version was received before the stop: not an edit.
        this.#disk.set(path, disk, this.#disk.lastSeen(path)!.version);
        this.#writer.expect(path, 'received before the store was reopened, and not written yet');
        return;
      } else {
        const write = this.#localWrite(FILE_PREFIX + path, current, disk.manifest);
        fileWrites.push(write);
        report.changed.push(path);
        for (const c of disk.manifest.type === 'file' ? [...(disk.manifest.pieces ? listedEntries(disk.manifest) : []), ...disk.chunks] : []) needChunks.set(c.hash, c.size);
        this.#disk.set(path, disk, write.record!.version);
      }
      this.#writer.drop(path); // what is on disk now is this region's version
    });
    gone.forEach((path, i) => {
      const current = currents[found.length + i];
      this.#disk.forget(path);
      if (this.#ignoredPath(path) || !current || current.deleted) return;
      fileWrites.push(this.#localWrite(FILE_PREFIX + path, current, undefined));
      report.deleted.push(path);
    });
    // Manifests before the chunks they name, so a push carries them in that order: a receiving region writes
    // the small files (inlined in their manifests) while a large file's chunks are still streaming, instead of
    // after all of them. A manifest waits there until its chunks are in; if this process stops between the two
    // appends, the garbage pass of the next open writes the chunk records the manifests name.
    if (fileWrites.length > 0) {
      await this.#inner.apply(fileWrites, { signal });
      this.#gcDue = true;
    }
    await this.#ensureChunkRecords(needChunks, signal);
    await this.#disk.flush();
    this.#writer.rescanned();
    await this.#writer.pass();
    if (this.#gcDue) await this.#collectGarbage(signal);
    report.waiting = this.waiting();
    if (unstable.length > 0) {
      throw new MeridianError('PRECONDITION_FAILED', unstable.map((e) => e.message).join('; '), { cause: unstable[0], details: { key: String(unstable[0]!.details.key) } });
    }
    return report;
  }

  /** A record of this region's own: a new version after `current` (a tombstone when `manifest` is undefined). */
  #localWrite(key: string, current: StoredRecord | undefined, manifest: Manifest | undefined): ReplicaWrite {
    if (current) {
      this.#observe(current.version);
      const own = current.vv[this.regionId];
      if (own) this.#observe(own);
    }
    const version = this.#hlc.now();
    const record: ReplicaRecord = { key, deleted: manifest === undefined, version, origin: this.regionId, vv: mergeVectors(current?.vv ?? {}, { [this.regionId]: version }) };
    if (manifest) record.value = manifestValue(manifest);
    // As core's writer does: a plain write keeps pending conflicts (and their copies); `resolve` settles them.
    if (current?.conflicts?.length) record.conflicts = current.conflicts;
    return { key, record, expected: current?.etag ?? null };
  }

  /** Writes a chunk record for each hash that has no live one (bytes are here: just read or staged). */
  async #ensureChunkRecords(sizes: Map<string, number>, signal: AbortSignal | undefined): Promise<void> {
    if (sizes.size === 0) return;
    const hashes = [...sizes.keys()];
    const keys = hashes.map((h) => CHUNK_PREFIX + h);
    const currents = await this.#inner.lent.getMany(keys, { signal });
    const writes: ReplicaWrite[] = [];
    hashes.forEach((hash, i) => {
      const current = currents[i];
      if (current && !current.deleted) return;
      const w = this.#localWrite(keys[i]!, current, undefined);
      w.record = { ...w.record!, deleted: false, value: { size: sizes.get(hash)! } };
      writes.push(w);
    });
    if (writes.length > 0) await this.#inner.apply(writes, { signal });
  }

  // --- receiving ----------------------------------------------------------

  /** Takes an incoming chunk's bytes (kept in `staging`); the record is stored without them (they live on disk). */
  #acceptChunk(hash: string, record: ReplicaRecord, staging: Map<string, Buffer>): ReplicaRecord {
    // Content-addressed: two versions of a chunk are the same bytes, never a conflict worth keeping.
    const out: ReplicaRecord = { key: record.key, deleted: record.deleted, version: record.version, origin: record.origin, vv: record.vv };
    if (record.deleted) return out;
    if (!this.#locator.has(hash) && !staging.has(hash)) {
      const bytes = chunkBytes(record.value);
      if (!bytes) throw new MeridianError('INVALID_ARGUMENT', `record "${record.key}" carries no chunk bytes and ${this.regionId} does not have them`, { details: { field: record.key } });
      // Checked against its hash where it is staged (FileAssemblies.stage), before any record of the batch is stored.
      staging.set(hash, bytes);
    }
    out.value = { size: staging.get(hash)?.length ?? this.#locator.sizeOf(hash) ?? 0 };
    return out;
  }

  /**
   * A received file record as stored: its value in the stored form (a small
   * file binary, whichever form it came in), pending conflict versions with
   * the same bytes as the winner dropped (nothing to choose between), and
   * the others kept as JSON (the form frames carry conflicts in).
   */
  #received(record: ReplicaRecord, manifest: Manifest | undefined): ReplicaRecord {
    const out: ReplicaRecord = { ...record };
    // Binary already (checked by parseManifest): copied into a buffer of its own, as the journal's replay does. It is
    // a view of the frame it came in, and the store keeps what it is given: each small file would hold its whole
    // frame (up to a batch's bytes) in memory for as long as its record is current. JSON is made binary.
    if (manifest) out.value = record.value instanceof Uint8Array ? new Uint8Array(record.value) : manifestValue(manifest);
    if (!record.conflicts?.length) return out;
    const conflicts = record.conflicts.flatMap((c) => {
      if (c.deleted) return [c];
      const loser = parseManifest(c.value, record.key);
      return manifest && sameContent(loser, manifest) ? [] : [{ ...c, value: manifestJson(loser) }];
    });
    if (conflicts.length > 0) out.conflicts = conflicts;
    else delete out.conflicts;
    return out;
  }

  /**
   * After the first scan of an open: a live file record with nothing at its
   * path. If the ledger says the store last saw that very version there, the
   * file was deleted while no store was open: a tombstone, as a scan would
   * have made. Otherwise it was received and not written before the store
   * was last closed (its chunks may have arrived only now, or be in a staging
   * file): it waits, and is written as soon as it can be. A version received
   * after the one the store saw is written even so: what was deleted was
   * older, and a received write is never dropped for it.
   */
  async #resumeWaiting(): Promise<void> {
    const deletes: ReplicaWrite[] = [];
    for (let since = 0; ; ) {
      const page = await this.#inner.lent.scan({ since, limit: 1000 });
      for (const r of page.records) {
        if (!r.key.startsWith(FILE_PREFIX)) continue;
        const path = r.key.slice(FILE_PREFIX.length);
        if (r.conflicts?.length) this.#writer.indexCopies(path, r);
        if (r.deleted) continue;
        if (this.#disk.has(path) || this.#ignoredPath(path)) continue;
        if (this.#disk.lastSeen(path)?.version === r.version) {
          deletes.push(this.#localWrite(r.key, r, undefined));
          this.#disk.forget(path);
          continue;
        }
        this.#writer.expect(path, 'received before the store was reopened, and not written yet');
      }
      if (page.records.length === 0 || page.remaining === 0) break;
      since = page.records[page.records.length - 1]!.seq;
    }
    if (deletes.length > 0) {
      await this.#inner.apply(deletes);
      this.#gcDue = true;
    }
    await this.#disk.flush();
    await this.#writer.pass();
  }

  // --- garbage (see chunk-garbage.ts) --------------------------------------

  async #collectGarbage(signal: AbortSignal | undefined): Promise<void> {
    this.#gcDue = false;
    const done = await collectChunkGarbage({
      inner: this.#inner,
      locator: this.#locator,
      regionId: this.regionId,
      tombstone: (record) => this.#localWrite(record.key, record, undefined),
      ensureChunkRecords: (sizes) => this.#ensureChunkRecords(sizes, signal),
      signal,
    });
    if (!done) this.#gcDue = true;
  }

  // --- helpers ------------------------------------------------------------

  /**
   * Records as the Syncer sees them: a live chunk's value is its bytes, read
   * on the disk thread. A chunk no file or pack here holds any more (the file
   * that had it was deleted, and no manifest here needed it kept) comes
   * without bytes: a receiving region reads it only to compare versions (the
   * region that wrote it has a newer tombstone, or the bytes), and a read
   * that failed on it left that region unable to sync with this one.
   */
  async #present<R extends StoredRecord | undefined>(records: R[]): Promise<R[]> {
    const at: number[] = [];
    const out = [...records];
    records.forEach((r, i) => {
      if (!r || r.deleted || !r.key.startsWith(CHUNK_PREFIX)) return;
      if (this.#locator.locations(r.key.slice(CHUNK_PREFIX.length)).length > 0) at.push(i);
      else out[i] = { ...r, value: undefined };
    });
    if (at.length === 0) return out;
    for (let from = 0; from < at.length; from += DISK_BATCH) {
      const slice = at.slice(from, from + DISK_BATCH);
      const sources = slice.map((i) => {
        const hash = records[i]!.key.slice(CHUNK_PREFIX.length);
        return { hash, size: this.#locator.sizeOf(hash) ?? 0, at: this.#locator.locations(hash) };
      });
      const read = await this.#io.chunks(sources);
      slice.forEach((i, j) => {
        const bytes = read[j]!;
        if (!(bytes instanceof Uint8Array)) {
          // A conflict copy read from that no longer holds it is not looked at again.
          if (bytes.error.field) this.#locator.forgetCopies(bytes.error.field, sources[j]!.at);
          throw fromWorker(bytes.error);
        }
        out[i] = { ...records[i]!, value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
      });
    }
    return out;
  }

  /** True on the first scan after an open for a file the store last saw as an older version, untouched since. */
  #stale(path: string, stat: FileStat, version: string): boolean {
    const seen = this.#reopened ? this.#disk.lastSeen(path) : undefined;
    return seen !== undefined && seen.version !== version && sameStat({ ...stat, ...seen.stat }, stat);
  }

  #observe(version: string): void {
    try {
      this.#hlc.receive(version);
    } catch (error) {
      if (!MeridianError.hasCode(error, 'CLOCK_SKEW')) throw error;
    }
  }

  #isInternal(rel: string): boolean {
    if (rel === STATE_DIR || (this.#stateRelative !== undefined && (rel === this.#stateRelative || rel.startsWith(`${this.#stateRelative}/`)))) return true;
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    return name.includes(TEMP_MARK) || CONFLICT_COPY.test(name);
  }

  #ignoredPath(path: string): boolean {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) if (this.#ignore.ignores(segments.slice(0, i).join('/'), true)) return true;
    return this.#ignore.ignores(path, false) || this.#isInternal(path);
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #check(options: ReplicaCallOptions | undefined, what: string): void {
    if (this.#closed) throw new MeridianError('STORE_UNAVAILABLE', `DirectoryReplicaStore.${what}: the store of ${this.regionId} is closed`);
    throwIfAborted(options?.signal, `DirectoryReplicaStore.${what}`);
  }
}

