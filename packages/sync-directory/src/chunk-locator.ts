import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MeridianError } from '@meridian/core';
import { sha256Hex, type ChunkEntry } from './chunk-entry.js';

interface Pack {
  file: string;
  live: number;
}

const PACK_HEADER = 36; // 32 bytes of hash, 4 of length, before each chunk

/**
 * Where each chunk's bytes can be read in this region: inside a file of the
 * tree (at an offset, as last scanned or written) or staged in a pack (chunks
 * that arrived before the file they belong to, index pieces, and chunks a
 * replaced file held that a record still names). A chunk is never copied out
 * of a file just to be sent: the tree is the store. Staged chunks go in packs,
 * one file per batch (`hash, length, bytes` repeated), since one file per
 * chunk made file creation the bottleneck; a pack is removed once none of its
 * chunks is needed. Every read is checked against the chunk's hash, so a file
 * changed since its scan never passes stale bytes off as the chunk.
 */
export class ChunkLocator {
  readonly #root: string;
  readonly #packsDir: string;
  readonly #durable: boolean;
  readonly #inFiles = new Map<string, Map<string, number>>(); // hash -> path -> offset
  readonly #sizes = new Map<string, number>();
  readonly #staged = new Map<string, { pack: Pack; offset: number }>();

  constructor(root: string, packsDir: string, durable: boolean) {
    this.#root = root;
    this.#packsDir = packsDir;
    this.#durable = durable;
  }

  /** Reads the packs left by an earlier run (a pack cut short by a crash keeps its whole chunks). */
  async load(): Promise<void> {
    await mkdir(this.#packsDir, { recursive: true });
    for (const name of await readdir(this.#packsDir)) {
      const file = join(this.#packsDir, name);
      if (!name.endsWith('.pack')) {
        await rm(file, { force: true }); // a pack that crashed before its rename
        continue;
      }
      const data = await readFile(file);
      const pack: Pack = { file, live: 0 };
      for (let at = 0; at + PACK_HEADER <= data.length; ) {
        const hash = data.toString('hex', at, at + 32);
        const size = data.readUInt32BE(at + 32);
        const body = data.subarray(at + PACK_HEADER, at + PACK_HEADER + size);
        if (body.length === size && sha256Hex(body) === hash && !this.#staged.has(hash)) {
          this.#staged.set(hash, { pack, offset: at + PACK_HEADER });
          this.#sizes.set(hash, size);
          pack.live += 1;
        }
        at += PACK_HEADER + size;
      }
      if (pack.live === 0) await rm(file, { force: true });
    }
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

  /** Hashes staged in packs. */
  stagedHashes(): string[] {
    return [...this.#staged.keys()];
  }

  /** The chunk's bytes, checked; undefined when not here (or no longer matching: the file changed). */
  read(hash: string): Buffer | undefined {
    const size = this.#sizes.get(hash) ?? 0;
    const staged = this.#staged.get(hash);
    if (staged) {
      const data = readAt(staged.pack.file, staged.offset, size);
      if (data && sha256Hex(data) === hash) return data;
    }
    for (const [path, offset] of this.#inFiles.get(hash) ?? []) {
      const data = readAt(join(this.#root, path), offset, size);
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

  /** Stages chunks as one pack (written under a temp name, fsync'd when durable, then renamed: never a torn pack). */
  async stage(items: ReadonlyArray<{ hash: string; data: Buffer }>): Promise<void> {
    const fresh = new Map<string, Buffer>();
    for (const item of items) if (!this.#staged.has(item.hash)) fresh.set(item.hash, item.data);
    if (fresh.size === 0) return;
    const parts: Buffer[] = [];
    const offsets: Array<[string, number, number]> = [];
    let at = 0;
    for (const [hash, data] of fresh) {
      const header = Buffer.alloc(PACK_HEADER);
      header.write(hash, 0, 32, 'hex');
      header.writeUInt32BE(data.length, 32);
      parts.push(header, data);
      offsets.push([hash, at + PACK_HEADER, data.length]);
      at += PACK_HEADER + data.length;
    }
    const name = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    const file = join(this.#packsDir, `${name}.pack`);
    const temp = join(this.#packsDir, `${name}.tmp`);
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(Buffer.concat(parts, at));
      if (this.#durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    const pack: Pack = { file, live: 0 };
    for (const [hash, offset, size] of offsets) {
      if (this.#staged.has(hash)) continue; // staged by a concurrent call meanwhile
      this.#staged.set(hash, { pack, offset });
      this.#sizes.set(hash, size);
      pack.live += 1;
    }
    if (pack.live === 0) await rm(file, { force: true });
  }

  /** Drops staged chunks; a pack goes once none of its chunks is left. */
  async unstage(hashes: Iterable<string>): Promise<void> {
    const empty: string[] = [];
    for (const hash of hashes) {
      const staged = this.#staged.get(hash);
      if (!staged) continue;
      this.#staged.delete(hash);
      if (--staged.pack.live === 0) empty.push(staged.pack.file);
    }
    await Promise.all(empty.map((file) => rm(file, { force: true })));
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

  /** True when the only copies of a chunk are inside files of `paths`. */
  onlyIn(hash: string, paths: ReadonlySet<string>): boolean {
    if (this.#staged.has(hash)) return false;
    const where = this.#inFiles.get(hash);
    return where !== undefined && [...where.keys()].every((p) => paths.has(p));
  }

  /** Where the chunk's bytes may be read, in order: its pack, then files of the tree (absolute path, offset). */
  locations(hash: string): Array<[file: string, offset: number]> {
    const out: Array<[string, number]> = [];
    const staged = this.#staged.get(hash);
    if (staged) out.push([staged.pack.file, staged.offset]);
    for (const [path, offset] of this.#inFiles.get(hash) ?? []) out.push([join(this.#root, path), offset]);
    return out;
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
