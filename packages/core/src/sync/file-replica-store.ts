import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApplyResult, MerkleSummary, ReplicaCallOptions, ReplicaEntry, ReplicaStore, ReplicaWrite, ScanOptions, ScanPage, StoredRecord } from '../contracts/replica-store.js';
import { throwIfAborted } from '../errors/abort.js';
import { MeridianError } from '../errors/meridian-error.js';
import { lendIndexReads } from './lent-reads.js';
import { lockDirectory } from '../lease/directory-lock.js';
import { ReplicaIndex } from './replica-index.js';
import { keyHash, parseStoredRecord } from './replica-record.js';

/** Options of {@link FileReplicaStore.open}. */
export interface FileReplicaStoreOptions {
  /** fsync every record file and the directory before `apply` returns. Default true; false trades durability for speed. */
  durable?: boolean;
}

/**
 * Replica data as one JSON file per key in a directory (the seed's "file
 * sync" case). Writes are atomic: a temp file is written, fsync'd and renamed
 * over the old one, then the directory is fsync'd. A lock file makes one
 * process the directory's only writer; the index lives in memory and is read
 * back on `open`, so scans and digests never walk the disk.
 */
export class FileReplicaStore implements ReplicaStore {
  readonly #index = new ReplicaIndex();
  readonly #records: string;
  readonly #durable: boolean;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #unlock: (() => Promise<void>) | undefined;

  /** The store's directory. */
  readonly directory: string;

  private constructor(directory: string, durable: boolean) {
    this.directory = directory;
    this.#records = join(directory, 'records');
    this.#durable = durable;
    lendIndexReads(this, this.#index, (options, what) => this.#check(options, what));
  }

  /**
   * Opens (creating if needed) a store directory and loads its records. Throws
   * `STORE_UNAVAILABLE` when another live process holds the directory, and
   * `SYNC_PROTOCOL_ERROR` naming the file when a record file does not parse
   * (never silently skipped: skipping would lose the write).
   */
  static async open(directory: string, options: FileReplicaStoreOptions = {}): Promise<FileReplicaStore> {
    if (typeof directory !== 'string' || directory.length === 0) {
      throw new MeridianError('INVALID_CONFIG', 'Invalid FileReplicaStore options:\n  - directory: must be a non-empty path');
    }
    const store = new FileReplicaStore(directory, options.durable ?? true);
    await mkdir(store.#records, { recursive: true });
    store.#unlock = await lockDirectory(directory, 'FileReplicaStore');
    try {
      const records: StoredRecord[] = [];
      for (const name of await readdir(store.#records)) {
        if (name.endsWith('.tmp')) {
          await rm(join(store.#records, name), { force: true }); // a write that crashed before its rename
          continue;
        }
        if (!name.endsWith('.json')) continue;
        const file = join(store.#records, name);
        let parsed: unknown;
        try {
          parsed = JSON.parse(await readFile(file, 'utf8'));
        } catch (cause) {
          throw new MeridianError('SYNC_PROTOCOL_ERROR', `FileReplicaStore: ${file} is not valid JSON`, { cause });
        }
        records.push(parseStoredRecord(parsed, `FileReplicaStore file ${file}`));
      }
      store.#index.load(records);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  async getMany(keys: readonly string[], options: ReplicaCallOptions = {}): Promise<Array<StoredRecord | undefined>> {
    this.#check(options, 'getMany');
    return this.#index.getMany(keys);
  }

  async apply(writes: readonly ReplicaWrite[], options: ReplicaCallOptions = {}): Promise<ApplyResult> {
    this.#check(options, 'apply');
    this.#index.validate(writes);
    // One batch at a time: a precondition is checked and the file written with nothing in between.
    const run = this.#queue.then(async () => {
      this.#check(options, 'apply');
      const result: ApplyResult = { applied: [], rejected: [] };
      for (const write of writes) {
        const change = this.#index.prepare(write);
        if (!change) {
          result.rejected.push(write.key);
          continue;
        }
        const file = join(this.#records, `${keyHash(write.key)}.json`);
        try {
          if (change.stored === null) await rm(file, { force: true });
          else await this.#writeAtomic(file, JSON.stringify(change.stored));
        } catch (cause) {
          throw new MeridianError('STORE_UNAVAILABLE', `FileReplicaStore: writing ${file} failed: ${(cause as Error).message}`, { cause });
        }
        this.#index.commit(change);
        result.applied.push(write.key);
      }
      if (this.#durable && result.applied.length > 0) await this.#syncDirectory();
      return result;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async scan(options: ScanOptions & ReplicaCallOptions): Promise<ScanPage> {
    this.#check(options, 'scan');
    return this.#index.scan(options);
  }


  async digest(nodes: readonly string[], options: ReplicaCallOptions = {}): Promise<MerkleSummary[]> {
    this.#check(options, 'digest');
    return this.#index.digest(nodes);
  }

  async entries(nodes: readonly string[], options: ReplicaCallOptions = {}): Promise<ReplicaEntry[]> {
    this.#check(options, 'entries');
    return this.#index.entries(nodes);
  }

  /** Waits for writes in flight, then releases the directory lock. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    await this.#unlock?.();
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #writeAtomic(file: string, text: string): Promise<void> {
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(text);
      if (this.#durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  }

  async #syncDirectory(): Promise<void> {
    const dir = await open(this.#records, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  #check(options: ReplicaCallOptions | undefined, what: string): void {
    if (this.#closed) throw new MeridianError('STORE_UNAVAILABLE', `FileReplicaStore.${what}: the store is closed`);
    throwIfAborted(options?.signal, `FileReplicaStore.${what}`);
  }
}
