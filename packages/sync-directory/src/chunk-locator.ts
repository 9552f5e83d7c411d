import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MeridianError } from '@meridian/core';
import { sha256Hex, type ChunkEntry } from './chunk-entry.js';

/** A staging file: a pack (`hash, length, bytes` repeated) or an assembly (a large file's bytes at their offsets). */
export interface Pack {
  file: string;
  live: number;
  /** An assembly: its index file (44-byte entries: hash, offset, length). */
  index?: string;
  /** An assembly a received file is being built in: kept when no chunk of it is staged any more. */
  pinned?: boolean;
}

/** Writes runs of bytes into an assembly and appends entries to its index (the store's disk thread does it). */
export type PlaceFn = (file: string, runs: Array<{ offset: number; data: Buffer }>, index: string, entries: Buffer, durable: boolean, transfer: ArrayBuffer[]) => Promise<void>;

const PACK_HEADER = 36; // 32 bytes of hash, 4 of length, before each chunk
const INDEX_ENTRY = 44; // 32 bytes of hash, 8 of offset, 4 of length

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
  // Conflict copies this store wrote (or found kept), hash -> path -> offset: looked at last, until a read fails (see indexCopy).
  readonly #inCopies = new Map<string, Map<string, number>>();
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
    const names = await readdir(this.#packsDir);
    for (const name of names) {
      const file = join(this.#packsDir, name);
      if (name.endsWith('.asm.idx') && names.includes(name.slice(0, -4))) continue; // read with its assembly
      if (name.endsWith('.asm')) {
        await this.#loadAssembly(file);
        continue;
      }
      if (!name.endsWith('.pack')) {
        await rm(file, { force: true }); // a pack that crashed before its rename, or an index without its assembly
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

  // An assembly left by an earlier run: the chunks its index lists that are whole and match their hash.
  async #loadAssembly(file: string): Promise<void> {
    const index = `${file}.idx`;
    const entries = await readFile(index).catch(() => Buffer.alloc(0));
    const pack: Pack = { file, live: 0, index };
    for (let at = 0; at + INDEX_ENTRY <= entries.length; at += INDEX_ENTRY) {
      const hash = entries.toString('hex', at, at + 32);
      const offset = Number(entries.readBigUInt64BE(at + 32));
      const size = entries.readUInt32BE(at + 40);
      const data = readAt(file, offset, size);
      if (data && sha256Hex(data) === hash && !this.#staged.has(hash)) {
        this.#staged.set(hash, { pack, offset });
        this.#sizes.set(hash, size);
        pack.live += 1;
      }
    }
    if (pack.live === 0) await Promise.all([rm(file, { force: true }), rm(index, { force: true })]);
  }

  /**
   * Starts an assembly: a file of `size` bytes in the staging directory into
   * which a large received file's chunks are written at their offsets as they
   * arrive, then renamed into the tree: its bytes are written once, where a
   * pack would have them written twice (pack, then file). Pinned until
   * {@link releaseAssembly}.
   */
  async createAssembly(size: number): Promise<Pack> {
    const name = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    const file = join(this.#packsDir, `${name}.asm`);
    const index = `${file}.idx`;
    const handle = await open(file, 'wx');
    try {
      await handle.truncate(size);
    } finally {
      await handle.close();
    }
    await (await open(index, 'wx')).close();
    return { file, live: 0, index, pinned: true };
  }

  /** Writes chunks into an assembly at their offsets, then lists them in its index (fsync'd when durable): staged there. */
  async stageInto(asm: Pack, items: ReadonlyArray<{ hash: string; data: Buffer; offsets: readonly number[] }>, place: PlaceFn): Promise<void> {
    const fresh = items.filter((i) => !this.#staged.has(i.hash) && i.offsets.length > 0);
    if (fresh.length === 0) return;
    const pieces = fresh.flatMap((item) => item.offsets.map((offset) => ({ offset, data: item.data }))).sort((x, y) => x.offset - y.offset);
    // Every run's bytes copied into one buffer of their own, which moves to the disk thread (the runs are views of
    // it): one copy of each byte, where a lone chunk sent as a view of the received frame was copied by postMessage
    // with the rest of the frame, and each joined run was a buffer (and a transfer) of its own.
    let total = 0;
    for (const p of pieces) total += p.data.length;
    // Not Buffer's pool (it moves), not zero-filled first: every byte is copied in.
    const packed = Buffer.allocUnsafeSlow(total);
    const runs: Array<{ offset: number; data: Buffer }> = [];
    let at = 0;
    for (let i = 0; i < pieces.length; ) {
      const start = at;
      let end = pieces[i]!.offset;
      const offset = end;
      // Chunks that arrive in file order sit end to end: one write per run of them, not one per chunk.
      for (; i < pieces.length && pieces[i]!.offset === end; i++) {
        at += pieces[i]!.data.copy(packed, at);
        end += pieces[i]!.data.length;
      }
      runs.push({ offset, data: packed.subarray(start, at) });
    }
    const entries = Buffer.alloc(fresh.length * INDEX_ENTRY);
    fresh.forEach((item, i) => {
      entries.write(item.hash, i * INDEX_ENTRY, 32, 'hex');
      entries.writeBigUInt64BE(BigInt(item.offsets[0]!), i * INDEX_ENTRY + 32);
      entries.writeUInt32BE(item.data.length, i * INDEX_ENTRY + 40);
    });
    await place(asm.file, runs, asm.index!, entries, this.#durable, [packed.buffer as ArrayBuffer]);
    for (const item of fresh) {
      if (this.#staged.has(item.hash)) continue;
      this.#staged.set(item.hash, { pack: asm, offset: item.offsets[0]! });
      this.#sizes.set(item.hash, item.data.length);
      asm.live += 1;
    }
  }

  /**
   * Ends an assembly: `moved` when it was renamed into the tree (its chunks are
   * then where the file's index says, not staged), otherwise it stays a
   * staging file until none of its chunks is needed.
   */
  async releaseAssembly(asm: Pack, moved: boolean): Promise<void> {
    asm.pinned = false;
    if (moved) {
      for (const [hash, staged] of this.#staged) if (staged.pack === asm) this.#staged.delete(hash);
      asm.live = 0;
      await rm(asm.index!, { force: true });
    } else if (asm.live === 0) await removePack(asm);
  }

  /** True when the chunk's bytes are here (staged, in a file of the tree, or in a conflict copy not found wanting yet). */
  has(hash: string): boolean {
    return this.#staged.has(hash) || this.#inFiles.has(hash) || this.#inCopies.has(hash);
  }

  /** The staging file that holds the chunk, if one does. */
  stagedIn(hash: string): Pack | undefined {
    return this.#staged.get(hash)?.pack;
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
    for (const map of [this.#inFiles, this.#inCopies]) {
      for (const [path, offset] of map.get(hash) ?? []) {
        const data = readAt(join(this.#root, path), offset, size);
        if (data && sha256Hex(data) === hash) return data;
      }
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
    const empty: Pack[] = [];
    for (const hash of hashes) {
      const staged = this.#staged.get(hash);
      if (!staged) continue;
      this.#staged.delete(hash);
      if (--staged.pack.live === 0 && !staged.pack.pinned) empty.push(staged.pack);
    }
    await Promise.all(empty.map(removePack));
  }

  /** Records that `path` holds these chunks, in order, from offset 0. */
  indexFile(path: string, chunks: readonly ChunkEntry[]): void {
    index(this.#inFiles, this.#sizes, path, chunks);
  }

  /**
   * Records that the conflict copy at `path` holds these chunks: a delete (or
   * a write) that wins over an edit renames the edit into its copy, and the
   * copy is then the only place this region has the edit's bytes, which the
   * other regions still need to write their copy. A copy is the user's file,
   * which the scan skips: it may be edited or removed without the store
   * seeing it. Every read is checked against the hash, a copy is the last
   * place looked, {@link inFile} and {@link onlyIn} never count it (staged
   * bytes are never dropped because a copy holds them), and
   * {@link forgetCopies} drops a chunk's copies once a read of them failed.
   */
  indexCopy(path: string, chunks: readonly ChunkEntry[]): void {
    index(this.#inCopies, this.#sizes, path, chunks);
  }

  /**
   * Forgets the conflict copies said to hold this chunk among `tried` (where
   * a read that failed looked: absolute path, offset). Only those: a copy
   * indexed after that read's locations were taken was not looked at.
   */
  forgetCopies(hash: string, tried: ReadonlyArray<readonly [file: string, offset: number]>): void {
    const where = this.#inCopies.get(hash);
    if (!where) return;
    for (const [file, offset] of tried) {
      const path = relative(this.#root, file);
      if (where.get(path) === offset) where.delete(path);
    }
    if (where.size === 0) this.#inCopies.delete(hash);
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

  /** Where the chunk's bytes may be read, in order: its pack, files of the tree, then conflict copies (absolute path, offset). */
  locations(hash: string): Array<[file: string, offset: number]> {
    const out: Array<[string, number]> = [];
    const staged = this.#staged.get(hash);
    if (staged) out.push([staged.pack.file, staged.offset]);
    for (const map of [this.#inFiles, this.#inCopies]) for (const [path, offset] of map.get(hash) ?? []) out.push([join(this.#root, path), offset]);
    return out;
  }
}

// Adds `path`'s chunks, in order from offset 0, to a hash -> path -> offset map (a chunk twice in a file: its first).
function index(map: Map<string, Map<string, number>>, sizes: Map<string, number>, path: string, chunks: readonly ChunkEntry[]): void {
  let offset = 0;
  for (const c of chunks) {
    let where = map.get(c.hash);
    if (!where) map.set(c.hash, (where = new Map()));
    if (!where.has(path)) where.set(path, offset);
    sizes.set(c.hash, c.size);
    offset += c.size;
  }
}

async function removePack(pack: Pack): Promise<void> {
  await rm(pack.file, { force: true });
  if (pack.index) await rm(pack.index, { force: true });
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
