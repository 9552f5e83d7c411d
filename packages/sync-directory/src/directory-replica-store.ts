import type { Stats } from 'node:fs';
import { lstat, mkdir, realpath, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
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
import { checkWrites, lockDirectory, throwIfAborted } from '@meridian/core/spi';
import { TEMP_MARK, ensureParents, syncDirectory, writeFileAtomic, writeLinkAtomic } from './atomic-file-write.js';
import { packEntries, sha256Hex, unpackEntries, type ChunkEntry } from './chunk-entry.js';
import { ChunkLocator } from './chunk-locator.js';
import { CONFLICT_COPY, conflictCopyPath } from './conflict-copy-name.js';
import { ContentChunker } from './content-chunker.js';
import { parseDirectoryOptions, type DirectoryReplicaStoreOptions, type ResolvedDirectoryOptions } from './directory-store-options.js';
import { listedEntries, parseManifest, sameContent, sameManifest, type FileManifest, type Manifest } from './file-manifest.js';
import { IgnoreRules } from './ignore-rules.js';
import { JournalReplicaStore } from './journal-replica-store.js';
import { CHUNK_PREFIX, FILE_PREFIX, parseKey } from './record-keys.js';
import { readFileStable, readWindow, sameStat } from './stable-file-read.js';
import { walkTree, type SkippedEntry } from './tree-walk.js';

/** A file as this store last saw it on disk (scanned or written): how to tell it changed, and what it holds. */
interface DiskFile {
  stat: Stats;
  manifest: Manifest;
  chunks: ChunkEntry[];
}

/** A file received from another region and not written yet. */
export interface WaitingFile {
  /** Relative path. */
  path: string;
  /** Why: chunks still on their way, a local change not scanned yet, or the error writing it. */
  reason: string;
}

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

// A manifest lists at most this many chunks itself; a larger file lists index pieces of this many entries
// (9 KiB each), so a one-chunk edit re-sends one piece and a short manifest, not a list of every chunk.
const ENTRIES_PER_PIECE = 256;
const STATE_DIR = '.meridian-sync';
const WRITERS = 16;
const READERS = 4;

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
  readonly #disk = new Map<string, DiskFile>();
  readonly #waiting = new Map<string, string>();
  #queue: Promise<unknown> = Promise.resolve();
  #gcDue = true;
  #closed = false;

  private constructor(o: ResolvedDirectoryOptions, dataPath: string, state: string, inner: JournalReplicaStore, unlock: () => Promise<void>) {
    this.#unlock = unlock;
    this.#o = o;
    this.regionId = o.regionId;
    this.dataPath = dataPath;
    this.#inner = inner;
    this.#hlc = new HybridLogicalClock({ node: o.regionId, clock: o.clock ?? systemClock, maxClockSkewMillis: o.maxClockSkewMillis });
    this.#chunker = new ContentChunker(o.chunkSizes);
    this.#ignore = new IgnoreRules(o.ignore);
    this.#locator = new ChunkLocator(dataPath, join(state, 'packs'), o.durable);
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
    try {
      inner = await JournalReplicaStore.open(state, { durable: o.durable });
    } catch (error) {
      await unlock();
      throw error;
    }
    const store = new DirectoryReplicaStore(o, dataPath, state, inner, unlock);
    try {
      await store.#locator.load();
      await store.rescan();
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
    return [...this.#waiting].map(([path, reason]) => ({ path, reason }));
  }

  /** Current records for `keys`; a chunk's value carries its bytes (base64), read from disk only when serialized. */
  async getMany(keys: readonly string[], options: ReplicaCallOptions = {}): Promise<Array<StoredRecord | undefined>> {
    this.#check(options, 'getMany');
    return (await this.#inner.getMany(keys, options)).map((r) => (r ? this.#present(r) : undefined));
  }

  /** Changes since a sequence number (the push loop's change log), chunk bytes as in `getMany`. */
  async scan(options: ScanOptions & ReplicaCallOptions): Promise<ScanPage> {
    this.#check(options, 'scan');
    const page = await this.#inner.scan(options);
    return { ...page, records: page.records.map((r) => this.#present(r)) };
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
   * written to the tree once its chunks are here, a `chunk:` record's bytes are
   * checked against its hash and kept until the file that needs them is
   * written. A key that is neither, a malformed manifest or a chunk whose bytes
   * do not match is `INVALID_ARGUMENT` and nothing of the batch is applied.
   */
  async apply(writes: readonly ReplicaWrite[], options: ReplicaCallOptions = {}): Promise<ApplyResult> {
    this.#check(options, 'apply');
    checkWrites(writes);
    const parsed = writes.map((w) => parseKey(w.key));
    writes.forEach((w, i) => {
      const key = parsed[i]!;
      if (key.kind === 'file' && w.record && !w.record.deleted) parseManifest(w.record.value, w.key);
    });
    return this.#exclusive(async () => {
      this.#check(options, 'apply');
      const currents = await this.#inner.getMany(
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
        else accepted.push({ ...write, record: this.#settleIdentical(record) });
        if (record) this.#observe(record.version);
      }
      // The batch's chunks in one pack, on disk before their records are: a record never names bytes that are not here.
      await this.#locator.stage([...staging].map(([hash, data]) => ({ hash, data })));
      const result = await this.#inner.apply(accepted, options);
      for (const key of result.applied) {
        const k = parseKey(key);
        if (k.kind === 'file') this.#waiting.set(k.path, 'its chunks have not all arrived');
        this.#gcDue = true;
      }
      await this.#writeWaiting();
      const applied = new Set(result.applied);
      for (const key of result.rejected) rejected.add(key);
      return { applied: writes.map((w) => w.key).filter((k) => applied.has(k)), rejected: writes.map((w) => w.key).filter((k) => rejected.has(k)) };
    });
  }

  /** Waits for work in flight and releases the state directory. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    await this.#inner.close();
    await this.#unlock();
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // --- scanning -----------------------------------------------------------

  async #rescan(signal: AbortSignal | undefined): Promise<RescanReport> {
    const { entries, skipped } = await walkTree(this.dataPath, this.#ignore, (rel) => this.#isInternal(rel), signal);
    const seen = new Set<string>();
    const found: Array<{ path: string; disk: DiskFile }> = [];
    const unstable: MeridianError[] = [];
    const toRead: typeof entries = [];
    for (const entry of entries) {
      seen.add(entry.path);
      const known = this.#disk.get(entry.path);
      if (known && sameStat(known.stat, entry.stat)) continue;
      if (entry.kind === 'link') {
        found.push({ path: entry.path, disk: { stat: entry.stat, manifest: { type: 'link', target: entry.target, mtimeMs: Math.round(entry.stat.mtimeMs) }, chunks: [] } });
      } else toRead.push(entry);
    }
    // Several files are read at once, each reader with its own window, so one file's disk round trips overlap another's.
    let next = 0;
    const reader = async (): Promise<void> => {
      const window = readWindow(this.#chunker);
      for (let i = next++; i < toRead.length; i = next++) {
        const entry = toRead[i]!;
        try {
          const read = await readFileStable(join(this.dataPath, entry.path), this.#chunker, this.#o.inlineMaxBytes, this.#o.readAttempts, window, signal);
          found.push({ path: entry.path, disk: { stat: read.stat, manifest: await this.#manifestOf(read.stat, read.chunks, read.inline), chunks: read.chunks } });
        } catch (error) {
          if (MeridianError.hasCode(error, 'PRECONDITION_FAILED')) unstable.push(error);
          else if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(READERS, toRead.length) }, reader));
    found.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    const gone = [...this.#disk.keys()].filter((p) => !seen.has(p));
    const currents = await this.#inner.getMany([...found.map((f) => FILE_PREFIX + f.path), ...gone.map((p) => FILE_PREFIX + p)]);
    const report: RescanReport = { changed: [], deleted: [], skipped, waiting: [] };
    const fileWrites: ReplicaWrite[] = [];
    const needChunks = new Map<string, number>();
    found.forEach(({ path, disk }, i) => {
      const current = currents[i];
      if (!(current && !current.deleted && sameManifest(parseManifest(current.value, current.key), disk.manifest))) {
        fileWrites.push(this.#localWrite(FILE_PREFIX + path, current, disk.manifest));
        report.changed.push(path);
        for (const c of disk.manifest.type === 'file' ? [...disk.chunks, ...(disk.manifest.pieces ? listedEntries(disk.manifest) : [])] : []) needChunks.set(c.hash, c.size);
      }
      this.#setDisk(path, disk);
      this.#waiting.delete(path); // what is on disk now is this region's version
    });
    gone.forEach((path, i) => {
      const current = currents[found.length + i];
      this.#forgetDisk(path);
      if (this.#ignoredPath(path) || !current || current.deleted) return;
      fileWrites.push(this.#localWrite(FILE_PREFIX + path, current, undefined));
      report.deleted.push(path);
    });
    // Chunks before the manifests that name them: a push carries them in that order.
    await this.#ensureChunkRecords(needChunks, signal);
    if (fileWrites.length > 0) {
      await this.#inner.apply(fileWrites, { signal });
      this.#gcDue = true;
    }
    await this.#writeWaiting();
    if (this.#gcDue) await this.#collectGarbage(signal);
    report.waiting = this.waiting();
    if (unstable.length > 0) {
      throw new MeridianError('PRECONDITION_FAILED', unstable.map((e) => e.message).join('; '), { cause: unstable[0], details: { key: String(unstable[0]!.details.key) } });
    }
    return report;
  }

  async #manifestOf(info: Stats, chunks: ChunkEntry[], inline: Buffer | undefined): Promise<FileManifest> {
    const base = { type: 'file' as const, mode: info.mode & 0o7777, mtimeMs: Math.round(info.mtimeMs), size: info.size };
    if (inline) return { ...base, data: inline.toString('base64') };
    if (chunks.length <= ENTRIES_PER_PIECE) return { ...base, chunks: packEntries(chunks).toString('base64') };
    const pieces: ChunkEntry[] = [];
    const staging: Array<{ hash: string; data: Buffer }> = [];
    for (let i = 0; i < chunks.length; i += ENTRIES_PER_PIECE) {
      const data = packEntries(chunks.slice(i, i + ENTRIES_PER_PIECE));
      const hash = sha256Hex(data);
      if (!this.#locator.has(hash)) staging.push({ hash, data });
      pieces.push({ hash, size: data.length });
    }
    await this.#locator.stage(staging);
    return { ...base, pieces: packEntries(pieces).toString('base64') };
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
    if (manifest) record.value = manifest;
    // As core's writer does: a plain write keeps pending conflicts (and their copies); `resolve` settles them.
    if (current?.conflicts?.length) record.conflicts = current.conflicts;
    return { key, record, expected: current?.etag ?? null };
  }

  /** Writes a chunk record for each hash that has no live one (bytes are here: just read or staged). */
  async #ensureChunkRecords(sizes: Map<string, number>, signal: AbortSignal | undefined): Promise<void> {
    if (sizes.size === 0) return;
    const hashes = [...sizes.keys()];
    const keys = hashes.map((h) => CHUNK_PREFIX + h);
    const currents = await this.#inner.getMany(keys, { signal });
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

  /** Checks an incoming chunk's bytes (kept in `staging`); the record is stored without them (they live on disk). */
  #acceptChunk(hash: string, record: ReplicaRecord, staging: Map<string, Buffer>): ReplicaRecord {
    // Content-addressed: two versions of a chunk are the same bytes, never a conflict worth keeping.
    const out: ReplicaRecord = { key: record.key, deleted: record.deleted, version: record.version, origin: record.origin, vv: record.vv };
    if (record.deleted) return out;
    if (!this.#locator.has(hash) && !staging.has(hash)) {
      const data = (record.value as { data?: unknown } | undefined)?.data;
      if (typeof data !== 'string') throw new MeridianError('INVALID_ARGUMENT', `record "${record.key}" carries no chunk bytes and ${this.regionId} does not have them`, { details: { field: record.key } });
      const bytes = Buffer.from(data, 'base64');
      if (sha256Hex(bytes) !== hash) throw new MeridianError('INVALID_ARGUMENT', `record "${record.key}" carries bytes whose SHA-256 is not its key (corrupted)`, { details: { field: record.key } });
      staging.set(hash, bytes);
    }
    out.value = { size: staging.get(hash)?.length ?? this.#locator.sizeOf(hash) ?? 0 };
    return out;
  }

  /** Drops pending conflict versions with the same bytes as the winner: nothing to choose between. */
  #settleIdentical(record: ReplicaRecord): ReplicaRecord {
    if (!record.conflicts?.length || record.deleted) return record;
    const winner = parseManifest(record.value, record.key);
    const conflicts = record.conflicts.filter((c) => c.deleted || !sameContent(parseManifest(c.value, record.key), winner));
    if (conflicts.length === record.conflicts.length) return record;
    const out: ReplicaRecord = { ...record };
    if (conflicts.length > 0) out.conflicts = conflicts;
    else delete out.conflicts;
    return out;
  }

  /** Writes every received file whose chunks are all here. */
  async #writeWaiting(): Promise<void> {
    if (this.#waiting.size === 0) return;
    const paths = [...this.#waiting.keys()];
    const records = await this.#inner.getMany(paths.map((p) => FILE_PREFIX + p));
    const touched = new Set<string>();
    const checked = new Set<string>();
    // Files are independent: several are written at once, so the disk round trips of one overlap another's.
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < paths.length; i = next++) {
        const path = paths[i]!;
        try {
          if (await this.#materialise(path, records[i], checked)) {
            this.#waiting.delete(path);
            touched.add(dirname(join(this.dataPath, path)));
          }
        } catch (error) {
          this.#waiting.set(path, (error as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(WRITERS, paths.length) }, worker));
    if (this.#o.durable) for (const dir of touched) await syncDirectory(dir).catch(() => undefined);
  }

  /** Makes the tree hold `record` at `path`; false when chunks are still missing or a local edit was not scanned yet. */
  async #materialise(path: string, record: StoredRecord | undefined, checked: Set<string>): Promise<boolean> {
    const file = join(this.dataPath, path);
    const known = this.#disk.get(path);
    const onDisk = await lstat(file).catch(() => undefined);
    // A local change not scanned yet is never overwritten: the next scan records it first.
    if (onDisk ? !known || !sameStat(known.stat, onDisk) : known !== undefined) {
      if (!onDisk) this.#forgetDisk(path);
      else return false;
    }
    if (!record) return true;
    const manifest = record.deleted ? undefined : parseManifest(record.value, record.key);
    const chunks = manifest ? this.#resolve(manifest) : [];
    if (!chunks) return false;
    // Losing versions first (a delete can win too): one of them may be what the file holds now.
    const losers = (record.conflicts ?? []).filter((c) => !c.deleted);
    if (losers.length > 0) await ensureParents(this.dataPath, path, checked);
    for (const c of losers) {
      const loser = parseManifest(c.value, record.key);
      const copy = join(this.dataPath, conflictCopyPath(path, c.origin, c.version));
      if (await lstat(copy).catch(() => undefined)) continue;
      const loserChunks = this.#resolve(loser);
      if (!loserChunks) return false;
      await this.#write(copy, loser, loserChunks);
    }
    if (!manifest) {
      if (onDisk && !onDisk.isDirectory()) await rm(file, { force: true });
      this.#forgetDisk(path);
      return true;
    }
    if (known && sameManifest(known.manifest, manifest)) return true;
    await ensureParents(this.dataPath, path, checked);
    if (known && known.manifest.type === 'file') await this.#preserveReplaced(path, known.chunks, new Set(chunks.map((c) => c.hash)));
    await this.#write(file, manifest, chunks);
    this.#setDisk(path, { stat: await lstat(file), manifest, chunks });
    // The file holds them now: staged copies go (all at once, not one round trip each).
    await this.#locator.unstage(chunks.map((c) => c.hash));
    return true;
  }

  async #write(file: string, manifest: Manifest, chunks: ChunkEntry[]): Promise<void> {
    if (manifest.type === 'link') return writeLinkAtomic(file, manifest.target, manifest.mtimeMs);
    const locator = this.#locator;
    const region = this.regionId;
    const parts = manifest.data !== undefined ? [Buffer.from(manifest.data, 'base64')] : (function* () {
      for (const c of chunks) yield locator.require(c.hash, region);
    })();
    await writeFileAtomic(file, parts, manifest, this.#o.durable);
  }

  /** Stages chunks a replaced file held alone that a live chunk record still names (another region may ask for them). */
  async #preserveReplaced(path: string, old: ChunkEntry[], kept: Set<string>): Promise<void> {
    const leaving = old.filter((c) => !kept.has(c.hash) && this.#locator.onlyIn(c.hash, path));
    if (leaving.length === 0) return;
    const records = await this.#inner.getMany(leaving.map((c) => CHUNK_PREFIX + c.hash));
    const keep: Array<{ hash: string; data: Buffer }> = [];
    for (const [i, c] of leaving.entries()) {
      const data = records[i] && !records[i]!.deleted ? this.#locator.read(c.hash) : undefined;
      if (data) keep.push({ hash: c.hash, data });
    }
    await this.#locator.stage(keep);
  }

  /** A manifest's chunks in order, or undefined while some (or an index piece) are not here. */
  #resolve(manifest: Manifest): ChunkEntry[] | undefined {
    if (manifest.type === 'link' || manifest.data !== undefined) return [];
    const listed = listedEntries(manifest);
    if (listed.some((c) => !this.#locator.has(c.hash))) return undefined;
    if (manifest.chunks !== undefined) return listed;
    const chunks: ChunkEntry[] = [];
    for (const piece of listed) {
      const bytes = this.#locator.read(piece.hash);
      const entries = bytes && unpackEntries(bytes);
      if (!entries) return undefined;
      chunks.push(...entries);
    }
    return chunks.some((c) => !this.#locator.has(c.hash)) ? undefined : chunks;
  }

  // --- garbage ------------------------------------------------------------

  /**
   * Tombstones the chunk records this region wrote that no manifest names any
   * more, writes a chunk record again where a manifest names a chunk whose
   * record was deleted elsewhere while the bytes are here, and drops staged
   * bytes no live record needs (or that a written file now holds).
   */
  async #collectGarbage(signal: AbortSignal | undefined): Promise<void> {
    this.#gcDue = false;
    const referenced = new Map<string, number>();
    const pieces = new Set<string>();
    const chunkRecords = new Map<string, StoredRecord>();
    let since = 0;
    for (;;) {
      const page = await this.#inner.scan({ since, limit: 1000, signal });
      for (const r of page.records) {
        if (r.key.startsWith(CHUNK_PREFIX)) {
          chunkRecords.set(r.key.slice(CHUNK_PREFIX.length), r);
          continue;
        }
        for (const v of [r, ...(r.conflicts ?? [])]) {
          if (v.deleted) continue;
          const m = parseManifest(v.value, r.key);
          if (m.type !== 'file' || m.data !== undefined) continue;
          for (const e of listedEntries(m)) {
            referenced.set(e.hash, e.size);
            if (m.pieces === undefined) continue;
            pieces.add(e.hash);
            const entries = this.#locator.has(e.hash) ? unpackEntries(this.#locator.read(e.hash) ?? Buffer.alloc(1)) : undefined;
            // A piece not here yet: its chunks cannot be listed, so nothing is collected this time.
            if (!entries) return void (this.#gcDue = true);
            for (const c of entries) referenced.set(c.hash, c.size);
          }
        }
      }
      if (page.records.length === 0 || page.remaining === 0) break;
      since = page.records[page.records.length - 1]!.seq;
    }
    const writes: ReplicaWrite[] = [];
    for (const [hash, r] of chunkRecords) {
      if (!r.deleted && r.origin === this.regionId && !referenced.has(hash)) writes.push(this.#localWrite(r.key, r, undefined));
    }
    if (writes.length > 0) await this.#inner.apply(writes, { signal });
    const lost = [...referenced].filter(([h]) => (!chunkRecords.has(h) || chunkRecords.get(h)!.deleted) && this.#locator.has(h));
    await this.#ensureChunkRecords(new Map(lost), signal);
    const drop: string[] = [];
    for (const hash of this.#locator.stagedHashes()) {
      const r = chunkRecords.get(hash);
      const needed = (r && !r.deleted) || referenced.has(hash);
      if (!needed || (!pieces.has(hash) && this.#locator.inFile(hash))) drop.push(hash);
    }
    await this.#locator.unstage(drop);
  }

  // --- helpers ------------------------------------------------------------

  /** A record as the Syncer sees it: a chunk's value carries its bytes, read from disk only when serialized. */
  #present(record: StoredRecord): StoredRecord {
    if (record.deleted || !record.key.startsWith(CHUNK_PREFIX)) return record;
    const hash = record.key.slice(CHUNK_PREFIX.length);
    const locator = this.#locator;
    const region = this.regionId;
    let memo: string | undefined;
    const value = Object.defineProperty({}, 'data', { enumerable: true, get: () => (memo ??= locator.require(hash, region).toString('base64')) });
    return { ...record, value };
  }

  #setDisk(path: string, disk: DiskFile): void {
    const old = this.#disk.get(path);
    if (old) this.#locator.forgetFile(path, old.chunks);
    this.#disk.set(path, disk);
    this.#locator.indexFile(path, disk.chunks);
  }

  #forgetDisk(path: string): void {
    const old = this.#disk.get(path);
    if (!old) return;
    this.#locator.forgetFile(path, old.chunks);
    this.#disk.delete(path);
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

/** The data path, resolved; `INVALID_CONFIG` naming it when it is missing or not a directory. */
export async function resolveDataPath(path: string, regionId: string): Promise<string> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (cause) {
    throw new MeridianError('INVALID_CONFIG', `data path of region ${regionId} does not exist: ${path}`, { cause, details: { where: `regions.${regionId}.dataPath` } });
  }
  if (!info.isDirectory()) throw new MeridianError('INVALID_CONFIG', `data path of region ${regionId} is not a directory: ${path}`, { details: { where: `regions.${regionId}.dataPath` } });
  return realpath(path);
}
