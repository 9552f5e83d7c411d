import { mkdir, open, readdir, rm, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MeridianError, type SnapshotPutResult, type SnapshotStore, type SnapshotWriteOptions, type StoredSnapshot } from '@meridian/core';
import { lockDirectory, parseOptions, throwIfAborted } from '@meridian/core/spi';
import { DirectorySync } from './directory-sync.js';
import { GroupCommit } from './group-commit.js';
import { copyLiveRecords, CompactionRenamedError } from './segment-compaction.js';
import { COMPACTING_SUFFIX, compareSegments, parseSegmentName, SegmentFile, segmentPath, type SegmentEntry } from './segment-file.js';
import { damagedRecordKey, decodeRecord, encodeRecord, RecordKind } from './segment-record.js';
import { scanSegment } from './segment-scan.js';
import { segmentStoreOptionsSchema, type SegmentSnapshotStoreOptions } from './segment-store-options.js';
import type { CompactionResult, SegmentStoreRecovery, SegmentStoreStatistics } from './segment-store-types.js';
import { checkConditions, checkKey, etagOf } from './store-keys.js';
import { KeySerializer } from './key-serializer.js';

const LOCK_FILE = 'LOCK';
// The etag a corrupt record answers to: no condition can match it, so only an unconditional put or delete replaces it.
const CORRUPT_ETAG = '"(corrupt)"';

interface Append {
  record: Buffer;
  signal: AbortSignal | undefined;
  resolve(at: { segment: SegmentFile; offset: number }): void;
  reject(error: unknown): void;
}

/**
 * Snapshots as records appended to segment files, with group commit: a put is
 * acknowledged once an fdatasync that started after its record was written has
 * finished, and the puts that arrive while one runs share the next, so 1 000
 * concurrent puts cost a handful of syncs instead of 1 000 fsync'd files.
 * An in-memory index (key → segment, offset) is rebuilt at open by reading
 * every record; each record carries a CRC-32 over its header and bytes, so a
 * crash mid-append leaves a tail that is detected and cut, and a flipped byte
 * reads as SNAPSHOT_CORRUPT for that key only. Deletes append tombstones;
 * compaction copies the live records of the closed segments into new ones,
 * fsyncs them and the directory, then removes the old segments, so a crash at
 * any point keeps every acknowledged write.
 *
 * One process owns a directory (a lock file with its pid; a second opener is
 * refused with STORE_UNAVAILABLE). Conditional writes are linearizable within
 * it: writes to one key run one after another, each one's condition checked
 * against the last acknowledged version.
 */
export class SegmentSnapshotStore implements SnapshotStore {
  /** The store's directory. */
  readonly directory: string;
  readonly #options: Required<SegmentSnapshotStoreOptions>;
  readonly #index = new Map<string, SegmentEntry>();
  // In replay order (sequence, generation).
  readonly #segments: SegmentFile[] = [];
  #active!: SegmentFile;
  readonly #queue: Append[] = [];
  #draining: Promise<void> | undefined;
  readonly #dirty = new Set<SegmentFile>();
  readonly #commit = new GroupCommit(() => this.#syncDirty());
  readonly #directorySync: DirectorySync;
  readonly #serializer = new KeySerializer();
  #failure: MeridianError | undefined;
  #compaction: Promise<CompactionResult> | undefined;
  #compactions = 0;
  #lastCompactionError: MeridianError | undefined;
  #closed = false;
  #recovery: SegmentStoreRecovery = { segments: 0, records: 0, truncatedBytes: 0, damaged: [] };

  private constructor(options: Required<SegmentSnapshotStoreOptions>) {
    this.#options = options;
    this.directory = options.directory;
    this.#directorySync = new DirectorySync(options.directory);
  }

  /**
   * Opens (creating if needed) a store directory: takes its lock, replays its
   * segments, cuts a torn tail. STORE_UNAVAILABLE when another live process
   * (or this one) holds it or it cannot be read; INVALID_CONFIG for bad options.
   */
  static async open(options: SegmentSnapshotStoreOptions): Promise<SegmentSnapshotStore> {
    const parsed = parseOptions(segmentStoreOptionsSchema, options, 'SegmentSnapshotStore options') as Required<SegmentSnapshotStoreOptions>;
    const store = new SegmentSnapshotStore(parsed);
    try {
      await mkdir(parsed.directory, { recursive: true });
    } catch (error) {
      throw store.#unavailable('create', '(directory)', error);
    }
    await lockDirectory(parsed.directory, 'SegmentSnapshotStore', { file: LOCK_FILE });
    try {
      await store.#load();
    } catch (error) {
      await Promise.all(store.#segments.map((s) => s.handle.close().catch(() => undefined)));
      await rm(join(parsed.directory, LOCK_FILE), { force: true });
      throw MeridianError.isInstance(error) ? error : store.#unavailable('open', '(all)', error);
    }
    return store;
  }

  /** What the last `open` found: records replayed, a torn tail cut, damaged records. */
  get recovery(): SegmentStoreRecovery {
    return { ...this.#recovery, damaged: [...this.#recovery.damaged] };
  }

  /** Keys, bytes, syncs and compactions. */
  statistics(): SegmentStoreStatistics {
    let liveBytes = 0;
    let deadBytes = 0;
    for (const segment of this.#segments) {
      liveBytes += segment.liveBytes;
      deadBytes += segment.deadBytes;
    }
    return {
      keys: this.#index.size,
      segments: this.#segments.length,
      liveBytes,
      deadBytes,
      syncs: this.#commit.started,
      compactions: this.#compactions,
      ...(this.#lastCompactionError ? { lastCompactionError: this.#lastCompactionError } : {}),
    };
  }

  async put(key: string, bytes: Buffer, options: SnapshotWriteOptions = {}): Promise<SnapshotPutResult> {
    checkKey(key);
    if (!Buffer.isBuffer(bytes)) throw new MeridianError('INVALID_ARGUMENT', 'SnapshotStore.put: bytes must be a Buffer', { details: { field: 'bytes' } });
    return this.#serializer.run(key, async () => {
      this.#usable('put');
      throwIfAborted(options.signal, 'SnapshotStore.put');
      checkConditions(key, this.#currentEtag(key), options);
      const etag = etagOf(bytes);
      const record = encodeRecord(RecordKind.Put, key, etag, bytes);
      const at = await this.#append(record, options.signal);
      this.#setEntry(key, { ...at, length: record.length, etag });
      this.#maybeCompact();
      return { etag };
    });
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<StoredSnapshot | undefined> {
    checkKey(key);
    this.#usable('get');
    throwIfAborted(options.signal, 'SnapshotStore.get');
    const entry = this.#index.get(key);
    if (!entry) return undefined;
    if (entry.corrupt !== undefined) throw corrupt(key, entry.corrupt);
    const buffer = await this.#readRecord(entry, key);
    const record = decodeRecord(buffer, 0);
    if (!record || record.kind !== RecordKind.Put || record.key !== key || record.length !== entry.length) {
      throw corrupt(key, `checksum mismatch in ${basename(entry.segment.path)} at offset ${entry.offset}`);
    }
    return { bytes: record.value, etag: record.etag };
  }

  async delete(key: string, options: Omit<SnapshotWriteOptions, 'ifNoneMatch'> = {}): Promise<boolean> {
    checkKey(key);
    return this.#serializer.run(key, async () => {
      this.#usable('delete');
      throwIfAborted(options.signal, 'SnapshotStore.delete');
      if (options.ifMatch !== undefined) checkConditions(key, this.#currentEtag(key), options);
      if (!this.#index.has(key)) return false;
      await this.#append(encodeRecord(RecordKind.Tombstone, key, ''), options.signal);
      this.#removeEntry(key);
      this.#maybeCompact();
      return true;
    });
  }

  async list(prefix = '', options: { signal?: AbortSignal } = {}): Promise<string[]> {
    this.#usable('list');
    throwIfAborted(options.signal, 'SnapshotStore.list');
    return [...this.#index.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  /**
   * Compacts the closed segments now (or waits for the compaction running):
   * their live records are copied to new segments, fsync'd, renamed into
   * place, the directory fsync'd, and only then are the old ones removed.
   */
  async compact(): Promise<CompactionResult> {
    this.#usable('compact');
    this.#compaction ??= this.#compactNow().finally(() => {
      this.#compaction = undefined;
    });
    return this.#compaction;
  }

  /** Waits for writes and a compaction in flight, then closes the segments and releases the lock. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#compaction?.catch(() => undefined);
    while (this.#draining) await this.#draining;
    await this.#commit.idle();
    await Promise.all(this.#segments.map((s) => s.handle.close().catch(() => undefined)));
    await rm(join(this.directory, LOCK_FILE), { force: true });
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- open ----

  async #load(): Promise<void> {
    const names = await readdir(this.directory);
    for (const name of names.filter((n) => n.endsWith(COMPACTING_SUFFIX))) {
      // A compaction that crashed before renaming its output: the inputs are all still there.
      await rm(join(this.directory, name), { force: true });
    }
    const ids = names.flatMap((name) => parseSegmentName(name) ?? []).sort(compareSegments);
    for (const [i, id] of ids.entries()) {
      const path = segmentPath(this.directory, id.sequence, id.generation);
      const handle = await open(path, 'r+');
      const buffer = await handle.readFile();
      const segment = new SegmentFile(id.sequence, id.generation, path, handle, buffer.length);
      this.#segments.push(segment);
      const scan = scanSegment(buffer);
      const damaged = [...scan.damaged];
      if (scan.validEnd < buffer.length) {
        if (i === ids.length - 1) {
          // Appends are sequential and a closed segment is synced whole before the next begins, so bad bytes
          // up to the end of the last segment are an append a crash cut short: never acknowledged.
          await handle.truncate(scan.validEnd);
          await handle.sync();
          segment.size = scan.validEnd;
          this.#recovery.truncatedBytes += buffer.length - scan.validEnd;
        } else {
          const key = damagedRecordKey(buffer, scan.validEnd);
          damaged.push({ offset: scan.validEnd, length: buffer.length - scan.validEnd, ...(key === undefined ? {} : { key }) });
        }
      }
      const events = [...scan.records.map((r) => ({ offset: r.offset, record: r })), ...damaged.map((d) => ({ offset: d.offset, damage: d }))].sort((a, b) => a.offset - b.offset);
      for (const event of events) {
        if ('record' in event) {
          const r = event.record;
          this.#recovery.records++;
          if (r.kind === RecordKind.Tombstone) this.#removeEntry(r.key);
          else if (r.kind === RecordKind.Corrupt) this.#setEntry(r.key, { segment, offset: r.offset, length: r.length, etag: CORRUPT_ETAG, corrupt: r.value.toString('utf8') || 'damaged record' });
          else this.#setEntry(r.key, { segment, offset: r.offset, length: r.length, etag: r.etag });
        } else {
          const d = event.damage;
          this.#recovery.damaged.push({ segment: basename(path), offset: d.offset, length: d.length, ...(d.key === undefined ? {} : { key: d.key }) });
          const reason = `damaged record in ${basename(path)} at offset ${d.offset} (${d.length} bytes)`;
          if (d.key !== undefined) this.#setEntry(d.key, { segment, offset: d.offset, length: d.length, etag: CORRUPT_ETAG, corrupt: reason });
        }
      }
    }
    this.#recovery.segments = ids.length;
    const last = this.#segments.at(-1);
    this.#active = last && last.generation === 0 && last.size < this.#options.segmentBytes ? last : await this.#createSegment();
  }

  // ---- appends and group commit ----

  #append(record: Buffer, signal: AbortSignal | undefined): Promise<{ segment: SegmentFile; offset: number }> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, signal, resolve, reject });
      this.#drain();
    });
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = this.#drainQueue().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length > 0) this.#drain();
    });
  }

  /**
   * One writer: takes every record queued (up to the bound), writes them with
   * one positioned writev at the end of the active segment, then asks for a
   * group commit and goes on with the next records while it runs. Records
   * are acknowledged when the commit that started after their write ends.
   */
  async #drainQueue(): Promise<void> {
    while (this.#queue.length > 0) {
      if (this.#failure) {
        for (const append of this.#queue.splice(0)) append.reject(this.#failure);
        return;
      }
      const first = this.#queue[0]!;
      if (this.#takeIfAborted(first)) continue;
      if (this.#active.size > 0 && this.#active.size + first.record.length > this.#options.segmentBytes) {
        await this.#rollover().catch((error: unknown) => this.#fail('start a new segment', error));
        continue;
      }
      const batch: Append[] = [];
      let bytes = 0;
      while (this.#queue.length > 0 && batch.length < this.#options.maxRecordsPerWrite) {
        const next = this.#queue[0]!;
        if (this.#takeIfAborted(next)) continue;
        if (batch.length > 0 && this.#active.size + bytes + next.record.length > this.#options.segmentBytes) break;
        batch.push(this.#queue.shift()!);
        bytes += next.record.length;
      }
      if (batch.length === 0) continue;
      const segment = this.#active;
      let offset = segment.size;
      try {
        await segment.append(batch.map((a) => a.record));
      } catch (error) {
        this.#fail('append to', error);
        for (const append of batch) append.reject(this.#failure);
        continue;
      }
      const located = batch.map((append) => {
        const at = offset;
        offset += append.record.length;
        return { append, at };
      });
      this.#dirty.add(segment);
      this.#commit.sync().then(
        () => {
          // A sync that failed before this one may have lost pages Linux then marked clean: trust none after it.
          if (this.#failure) for (const { append } of located) append.reject(this.#failure);
          else for (const { append, at } of located) append.resolve({ segment, offset: at });
        },
        (error: unknown) => {
          this.#fail('sync', error);
          for (const { append } of located) append.reject(this.#failure);
        },
      );
    }
  }

  // A write whose caller gave up before it was written is not made.
  #takeIfAborted(append: Append): boolean {
    if (!append.signal?.aborted) return false;
    this.#queue.splice(this.#queue.indexOf(append), 1);
    try {
      throwIfAborted(append.signal, 'SnapshotStore.put');
    } catch (error) {
      append.reject(error);
    }
    return true;
  }

  #syncDirty(): Promise<void> {
    // Captured now, before any await: this sync covers exactly the writes completed before it started.
    const segments = [...this.#dirty];
    this.#dirty.clear();
    return Promise.all(segments.map((s) => s.handle.datasync())).then(() => undefined);
  }

  async #rollover(): Promise<void> {
    // The closing segment is made durable whole before the next one takes a byte: bad bytes at the end of a
    // closed segment are then corruption, never a crash, and are reported rather than cut.
    await this.#commit.sync();
    this.#active = await this.#createSegment();
  }

  async #createSegment(): Promise<SegmentFile> {
    const sequence = Math.max(0, ...this.#segments.map((s) => s.sequence)) + 1;
    const path = segmentPath(this.directory, sequence, 0);
    const handle = await open(path, 'wx+');
    // The new file's directory entry must be durable before a record in it is acknowledged.
    await this.#directorySync.sync();
    const segment = new SegmentFile(sequence, 0, path, handle, 0);
    this.#segments.push(segment);
    return segment;
  }

  // ---- compaction ----

  #maybeCompact(): void {
    if (!this.#options.autoCompact || this.#compaction || this.#closed || this.#failure) return;
    let dead = 0;
    for (const segment of this.#segments) if (segment !== this.#active) dead += segment.deadBytes;
    if (dead <= this.#options.compactionThresholdBytes) return;
    this.compact().then(
      () => {
        this.#lastCompactionError = undefined;
      },
      (error: unknown) => {
        this.#lastCompactionError = MeridianError.isInstance(error) ? error : this.#unavailable('compact', '(all)', error);
      },
    );
  }

  async #compactNow(): Promise<CompactionResult> {
    const inputs = this.#segments.filter((s) => s !== this.#active);
    if (inputs.length === 0) return { inputSegments: 0, outputSegments: 0, records: 0, reclaimedBytes: 0 };
    const inputSet = new Set(inputs);
    const order = new Map(inputs.map((s, i) => [s, i]));
    const moving = [...this.#index].filter(([, e]) => inputSet.has(e.segment)).sort(([, a], [, b]) => order.get(a.segment)! - order.get(b.segment)! || a.offset - b.offset);
    let copied: Awaited<ReturnType<typeof copyLiveRecords>>;
    try {
      copied = await copyLiveRecords({
        directory: this.directory,
        segmentBytes: this.#options.segmentBytes,
        after: inputs.at(-1)!,
        moving,
        read: (entry, key) => this.#readRecord(entry, key),
        directorySync: this.#directorySync,
        corruptEtag: CORRUPT_ETAG,
      });
    } catch (error) {
      // Some output is in place beside its inputs: consistent on disk, but this object no longer knows the
      // directory's segments. Refuse further work; reopening replays what is there.
      if (error instanceof CompactionRenamedError) this.#fail('compact', error.reason);
      throw MeridianError.isInstance(error) ? error : this.#unavailable('compact', '(all)', error instanceof CompactionRenamedError ? error.reason : error);
    }

    // The copies are durable and named: point the index at them (unless a key was rewritten meanwhile).
    this.#segments.push(...copied.segments);
    this.#segments.sort(compareSegments);
    for (const m of copied.moved) if (this.#index.get(m.key) === m.from) this.#setEntry(m.key, m.to);
    // Oldest first: whatever a crash leaves is a suffix of the inputs, in which every record shadowing another
    // (a later put, a tombstone) is still present.
    let reclaimedBytes = 0;
    let removed = 0;
    for (const input of inputs) {
      try {
        await unlink(input.path);
      } catch (error) {
        this.#lastCompactionError = this.#unavailable('remove a compacted segment of', '(all)', error);
        break;
      }
      removed++;
      reclaimedBytes += input.size;
      input.retired = true;
      this.#segments.splice(this.#segments.indexOf(input), 1);
      if (input.readers === 0) await input.handle.close().catch(() => undefined);
    }
    await this.#directorySync.sync().catch(() => undefined);
    for (const segment of copied.segments) reclaimedBytes -= segment.size;
    this.#compactions++;
    return { inputSegments: removed, outputSegments: copied.segments.length, records: copied.moved.length, reclaimedBytes };
  }

  // ---- index, reads, errors ----

  #setEntry(key: string, entry: SegmentEntry): void {
    this.#removeEntry(key);
    this.#index.set(key, entry);
    entry.segment.liveBytes += entry.length;
  }

  #removeEntry(key: string): void {
    const old = this.#index.get(key);
    if (!old) return;
    old.segment.liveBytes -= old.length;
    this.#index.delete(key);
  }

  #currentEtag(key: string): string | undefined {
    return this.#index.get(key)?.etag;
  }

  async #readRecord(entry: SegmentEntry, key: string): Promise<Buffer> {
    const segment = entry.segment;
    segment.readers++;
    try {
      return await segment.read(entry.offset, entry.length);
    } catch (error) {
      throw this.#unavailable('read', key, error);
    } finally {
      segment.readers--;
      // Compaction removed it while this read ran: the last reader closes it.
      if (segment.retired && segment.readers === 0) await segment.handle.close().catch(() => undefined);
    }
  }

  #usable(what: string): void {
    if (this.#closed) throw new MeridianError('STORE_UNAVAILABLE', `SegmentSnapshotStore.${what}: the store is closed`, { details: { directory: this.directory } });
    if (this.#failure) throw this.#failure;
  }

  // After a failed write or fsync the file's state is unknown (and Linux may have dropped the dirty pages):
  // refuse everything until the store is reopened and replays what is really on disk.
  #fail(what: string, error: unknown): void {
    this.#failure ??= this.#unavailable(what, '(all)', error);
  }

  #unavailable(what: string, key: string, error: unknown): MeridianError {
    const code = (error as NodeJS.ErrnoException).code;
    return new MeridianError('STORE_UNAVAILABLE', `Snapshot store could not ${what} "${key}" in ${this.directory}: ${code ?? (error as Error).message}`, {
      cause: error,
      details: { key, directory: this.directory, ...(code === undefined ? {} : { code }) },
    });
  }

}

function corrupt(key: string, reason: string): MeridianError {
  return new MeridianError('SNAPSHOT_CORRUPT', `Snapshot "${key}" is corrupt: ${reason}`, { details: { reason } });
}
