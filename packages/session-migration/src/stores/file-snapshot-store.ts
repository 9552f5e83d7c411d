import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MeridianError, type SnapshotPutResult, type SnapshotStore, type SnapshotWriteOptions, type StoredSnapshot } from '@meridian/core';
import { throwIfAborted } from '@meridian/core/spi';
import PQueue from 'p-queue';
import { DirectorySync } from './directory-sync.js';
import { checkConditions, checkKey, etagOf } from './store-keys.js';
import { KeySerializer } from './key-serializer.js';

const SUFFIX = '.snapshot';
const DEFAULT_WRITE_CONCURRENCY = 8;

/** Options of {@link FileSnapshotStore}. */
export interface FileSnapshotStoreOptions {
  /**
   * Writes in flight at once; more wait their turn. Default 8. A burst of
   * writes (a batch migration) then finishes write by write, each migration
   * going on as soon as its own is done, instead of every write finishing
   * together at the end: each write is several steps in Node's threadpool (4
   * threads unless `UV_THREADPOOL_SIZE` says otherwise), fsync among them.
   */
  writeConcurrency?: number;
}
// Stands for the etag of a snapshot known to exist but not read (an ifNoneMatch check needs no more).
const EXISTS = '"(exists)"';

/**
 * Snapshots as files in a directory. A write goes to a temporary file, is
 * fsync'd, renamed over the target (atomic on POSIX) and the directory fsync'd
 * (one fsync shared by the writes that wait for it together), so a crash leaves
 * the old snapshot or the new one, never half of one.
 * Conditional writes are serialised per key inside this process; processes
 * sharing a directory need an external lock (or a blob store with real ETags).
 */
export class FileSnapshotStore implements SnapshotStore {
  readonly #serializer = new KeySerializer();
  readonly #directorySync: DirectorySync;
  readonly #writes: PQueue;

  /** @param directory created on first write if missing. */
  constructor(
    readonly directory: string,
    options: FileSnapshotStoreOptions = {},
  ) {
    if (typeof directory !== 'string' || directory.length === 0) throw invalidOption('directory', directory, 'must be a non-empty path');
    const concurrency = options?.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw invalidOption('writeConcurrency', concurrency, 'must be an integer >= 1');
    this.#directorySync = new DirectorySync(directory);
    this.#writes = new PQueue({ concurrency });
  }

  async put(key: string, bytes: Buffer, options: SnapshotWriteOptions = {}): Promise<SnapshotPutResult> {
    checkKey(key);
    return this.#serializer.run(key, async () => {
      throwIfAborted(options.signal, 'SnapshotStore.put');
      checkConditions(key, await this.#currentEtag(key, options), options);
      await this.#writes.add(async () => {
        // A write that waited its turn past its caller's abort is not made.
        throwIfAborted(options.signal, 'SnapshotStore.put');
        await this.#io('write', key, () => this.#write(key, bytes));
      });
      return { etag: etagOf(bytes) };
    });
  }

  /** Temporary file, fsync, rename over the target, directory fsync (shared). */
  async #write(key: string, bytes: Buffer): Promise<void> {
    const target = this.#path(key);
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    const file = await open(temp, 'w').catch(async (error: NodeJS.ErrnoException) => {
      // The directory is created on the first write (or again, if it was removed since).
      if (error.code !== 'ENOENT') throw error;
      await mkdir(this.directory, { recursive: true });
      return open(temp, 'w');
    });
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, target);
    await this.#directorySync.sync();
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<StoredSnapshot | undefined> {
    checkKey(key);
    throwIfAborted(options.signal, 'SnapshotStore.get');
    return this.#read(key);
  }

  async delete(key: string, options: Omit<SnapshotWriteOptions, 'ifNoneMatch'> = {}): Promise<boolean> {
    checkKey(key);
    return this.#serializer.run(key, async () => {
      throwIfAborted(options.signal, 'SnapshotStore.delete');
      if (options.ifMatch !== undefined) checkConditions(key, (await this.#read(key))?.etag, options);
      return this.#io('delete', key, () =>
        unlink(this.#path(key)).then(
          () => true,
          (error: NodeJS.ErrnoException) => {
            if (error.code === 'ENOENT') return false;
            throw error;
          },
        ),
      );
    });
  }

  async list(prefix = '', options: { signal?: AbortSignal } = {}): Promise<string[]> {
    throwIfAborted(options.signal, 'SnapshotStore.list');
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.#unavailable('list', '(all)', error);
    }
    return names
      .filter((n) => n.endsWith(SUFFIX))
      .map((n) => decodeURIComponent(n.slice(0, -SUFFIX.length)))
      .filter((k) => k.startsWith(prefix))
      .sort();
  }

  #path(key: string): string {
    // Keys are already restricted to [A-Za-z0-9._:-]; ':' is encoded for portable file names.
    return join(this.directory, `${encodeURIComponent(key)}${SUFFIX}`);
  }

  /**
   * What the write conditions need to know of the current snapshot: its etag
   * for `ifMatch` (the file is read), only whether it exists for `ifNoneMatch`
   * (one stat), nothing without conditions.
   */
  async #currentEtag(key: string, options: SnapshotWriteOptions): Promise<string | undefined> {
    if (options.ifMatch !== undefined) return (await this.#read(key))?.etag;
    if (options.ifNoneMatch !== '*') return undefined;
    try {
      await stat(this.#path(key));
      return EXISTS;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.#unavailable('read', key, error);
    }
  }

  async #read(key: string): Promise<StoredSnapshot | undefined> {
    try {
      const bytes = await readFile(this.#path(key));
      return { bytes, etag: etagOf(bytes) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.#unavailable('read', key, error);
    }
  }

  async #io<T>(what: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.#unavailable(what, key, error);
    }
  }

  #unavailable(what: string, key: string, error: unknown): MeridianError {
    const code = (error as NodeJS.ErrnoException).code;
    return new MeridianError('STORE_UNAVAILABLE', `Snapshot store could not ${what} "${key}" in ${this.directory}: ${code ?? (error as Error).message}`, {
      cause: error,
      details: { key, code },
    });
  }

}

function invalidOption(path: string, value: unknown, message: string): MeridianError {
  return new MeridianError('INVALID_CONFIG', `Invalid FileSnapshotStore options:\n  - ${path}: ${message}`, {
    details: { where: 'FileSnapshotStore options', issues: [{ path, message, value: String(JSON.stringify(value)) }] },
  });
}
