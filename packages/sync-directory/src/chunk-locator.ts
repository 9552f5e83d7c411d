import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MeridianError } from '@meridian/core';
import { sha256Hex, type ChunkEntry } from './chunk-entry.js';

/**
 * Where each chunk's bytes can be read in this region: inside a file of the
 * tree (at an offset, as last scanned or written) or in the staging folder
 * (chunks that arrived before the file they belong to, index pieces, and
 * chunks a replaced file held that a record still names). A chunk is never
 * copied out of a file just to be sent: the tree is the store. Every read is
 * checked against the chunk's hash, so a file changed since its scan never
 * passes stale bytes off as the chunk.
 */
export class ChunkLocator {
  readonly #staging: string;
  readonly #inFiles = new Map<string, Map<string, number>>(); // hash -> path -> offset
  readonly #sizes = new Map<string, number>();
  readonly #staged = new Set<string>();
  readonly #root: string;
  readonly #dirs = new Set<string>();

  constructor(root: string, staging: string) {
    this.#root = root;
    this.#staging = staging;
  }

  /** True when the chunk's bytes are here. */
  has(hash: string): boolean {
    return this.#staged.has(hash) || this.#inFiles.has(hash);
  }

  /** True when the bytes are staged (not only inside a file). */
  isStaged(hash: string): boolean {
    return this.#staged.has(hash);
  }

  /** True when a file of the tree holds the chunk. */
  inFile(hash: string): boolean {
    return this.#inFiles.has(hash);
  }

  /** Length of a chunk known here. */
  sizeOf(hash: string): number | undefined {
    return this.#sizes.get(hash);
  }

  /** Reads a file of the staging folder found at open (undefined when it cannot be read). */
  readStagedFile(file: string): Buffer | undefined {
    try {
      return readFileSync(file);
    } catch {
      return undefined;
    }
  }

  /** Hashes in the staging folder. */
  stagedHashes(): string[] {
    return [...this.#staged];
  }

  /** The chunk's bytes, checked; undefined when not here (or no longer matching: the file changed). */
  read(hash: string): Buffer | undefined {
    if (this.#staged.has(hash)) {
      const data = readFileSync(this.#stagedPath(hash));
      if (sha256Hex(data) === hash) return data;
    }
    const size = this.#sizes.get(hash);
    for (const [path, offset] of this.#inFiles.get(hash) ?? []) {
      const data = readAt(join(this.#root, path), offset, size ?? 0);
      if (data && sha256Hex(data) === hash) return data;
    }
    return undefined;
  }

  /** Like {@link read}, but `STORE_UNAVAILABLE` naming the chunk when it is not here. */
  require(hash: string, region: string): Buffer {
    const data = this.read(hash);
    if (!data) {
      throw new MeridianError('STORE_UNAVAILABLE', `chunk ${hash.slice(0, 16)}… is no longer on disk in ${region} (its file changed after the last scan); the next scan replaces the file's record`, {
        details: { target: hash },
      });
    }
    return data;
  }

  /** Keeps bytes in the staging folder (written to a temp name, then renamed: never a torn chunk). */
  async stage(hash: string, data: Buffer): Promise<void> {
    if (this.#staged.has(hash)) return;
    const dir = join(this.#staging, hash.slice(0, 2));
    if (!this.#dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.#dirs.add(dir);
    }
    const temp = join(dir, `${hash}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(temp, data);
    await rename(temp, this.#stagedPath(hash));
    this.#staged.add(hash);
    this.#sizes.set(hash, data.length);
  }

  /** Drops staged bytes. */
  async unstage(hash: string): Promise<void> {
    if (!this.#staged.delete(hash)) return;
    await rm(this.#stagedPath(hash), { force: true });
  }

  /** Records that `path` holds these chunks, in order, from offset 0. */
  indexFile(path: string, chunks: readonly ChunkEntry[]): void {
    let offset = 0;
    for (const c of chunks) {
      let where = this.#inFiles.get(c.hash);
      if (!where) this.#inFiles.set(c.hash, (where = new Map()));
      if (!where.has(path)) where.set(path, offset);
      this.#sizes.set(c.hash, c.size);
      offset += c.size;
    }
  }

  /** Forgets what `path` held (it was replaced or deleted). */
  forgetFile(path: string, chunks: readonly ChunkEntry[]): void {
    for (const c of chunks) {
      const where = this.#inFiles.get(c.hash);
      if (!where) continue;
      where.delete(path);
      if (where.size === 0) this.#inFiles.delete(c.hash);
    }
  }

  /** True when a chunk's only copy is inside `path`. */
  onlyIn(hash: string, path: string): boolean {
    if (this.#staged.has(hash)) return false;
    const where = this.#inFiles.get(hash);
    return where !== undefined && where.size === 1 && where.has(path);
  }

  #stagedPath(hash: string): string {
    return join(this.#staging, hash.slice(0, 2), hash);
  }
}

function readAt(file: string, offset: number, size: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const out = Buffer.allocUnsafe(size);
    const n = readSync(fd, out, 0, size, offset);
    return n === size ? out : undefined;
  } finally {
    closeSync(fd);
  }
}
