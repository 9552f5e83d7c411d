import type { CutParams, cutPoint } from './content-chunker.js';
import type { ChunkSource, CutResult, CutSegment, DiskRequest, PlaceRun, FileStat, LstatResult, ReadBatch, ReadItem, ReadResult, WorkerError, WriteBatch, WriteItem, WriteResult } from './disk-protocol.js';

/** What the worker is started with. */
export interface DiskWorkerData {
  cut: CutParams;
  tempMark: string;
}

/**
 * The disk worker's program. It runs on its own thread and makes plain
 * synchronous system calls: measured on 10 000 small files, a file written
 * through `fs/promises` cost 140-250 µs of thread-pool round trips (open,
 * write, chmod, utimes, close, rename: one each), the same calls made
 * synchronously 50-60 µs; reads 90-115 µs against 13. On its own thread they
 * never block the event loop (a slow or hung network mount stalls this
 * thread, not the lease renewals and probes of the process), and cutting and
 * hashing large files runs beside the main thread.
 *
 * Self-contained: it is sent to the worker as source text (see
 * `disk-worker.ts`), so it refers to nothing outside its arguments and
 * `require`; types are erased.
 */
export function diskWorkerBody(cut: typeof cutPoint, load: NodeJS.Require): void {
  const fs = load('node:fs') as typeof import('node:fs');
  const { createHash, randomBytes } = load('node:crypto') as typeof import('node:crypto');
  const { join, dirname, basename } = load('node:path') as typeof import('node:path');
  const { parentPort, workerData } = load('node:worker_threads') as typeof import('node:worker_threads');
  const data = workerData as DiskWorkerData;
  const window = Buffer.allocUnsafeSlow(Math.max(4 * 1024 * 1024, data.cut.max * 2));
  const GATHER = 1 << 20;
  // Temp names: this thread's random part, then a count (a random name per file cost a call into the CSPRNG each).
  const tempPrefix = randomBytes(6).toString('hex');
  let tempCount = 0;
  const tempName = (): string => `${tempPrefix}${(tempCount++).toString(36)}`;
  const gather = Buffer.allocUnsafeSlow(GATHER + data.cut.max);

  const statOf = (s: import('node:fs').Stats): FileStat => ({
    size: s.size,
    mtimeMs: s.mtimeMs,
    ctimeMs: s.ctimeMs,
    ino: s.ino,
    dev: s.dev,
    mode: s.mode,
    kind: s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'link' : 'other',
  });
  const same = (a: FileStat, b: FileStat): boolean => a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino && a.dev === b.dev;
  const errorOf = (e: unknown): WorkerError => {
    const x = e as { code?: unknown; message?: unknown; field?: unknown };
    const out: WorkerError = { code: typeof x.code === 'string' ? x.code : 'EIO', message: typeof x.message === 'string' ? x.message : String(e) };
    if (typeof x.field === 'string') out.field = x.field;
    return out;
  };
  const coded = (code: string, message: string, field?: string): WorkerError & Error => Object.assign(new Error(message), { code, message, ...(field !== undefined ? { field } : {}) });
  const isGone = (e: unknown): boolean => (e as { code?: string }).code === 'ENOENT' || (e as { code?: string }).code === 'ENOTDIR';
  // A chunk's packed entry: 32 bytes of SHA-256, 4 of length (big-endian), as chunk-entry.ts packs them.
  const entryOf = (bytes: Uint8Array): Uint8Array => {
    const entry = new Uint8Array(36);
    entry.set(createHash('sha256').update(bytes).digest(), 0);
    new DataView(entry.buffer).setUint32(32, bytes.length);
    return entry;
  };
  const packed = (entries: Uint8Array[]): Uint8Array => {
    const out = new Uint8Array(entries.length * 36);
    entries.forEach((e, i) => out.set(e, i * 36));
    return out;
  };

  function lstatMany(paths: string[], links: boolean): Array<LstatResult | { error: WorkerError }> {
    return paths.map((path) => {
      let s: import('node:fs').Stats;
      try {
        s = fs.lstatSync(path);
      } catch (e) {
        return isGone(e) ? null : { error: errorOf(e) };
      }
      const out: LstatResult = statOf(s);
      if (links && s.isSymbolicLink()) {
        try {
          out.target = fs.readlinkSync(path);
          fs.statSync(path);
        } catch (e) {
          if ((e as { code?: string }).code === 'ELOOP') out.loop = true;
          else if (!isGone(e)) return { error: errorOf(e) }; // a dangling link is still a link
        }
      }
      return out;
    });
  }

  // Cuts what the window holds, from its start, into hashed entries; stops once `stopAt` bytes of it are cut. Returns
  // how many bytes were cut: the rest waits for more data (at the end of the file, cut() takes it whole).
  function cutWindow(entries: Uint8Array[], filled: number, eof: boolean, stopAt = Infinity): number {
    let at = 0;
    while (at < filled && at < stopAt) {
      const length = cut(data.cut, window, at, filled, eof);
      if (length === 0) break;
      entries.push(entryOf(window.subarray(at, at + length)));
      at += length;
    }
    return at;
  }

  // One attempt: undefined when the file changed while it was read (the open file's stats before and after disagree).
  // The file is read up to the size it had when opened, not to a read that returns nothing: one system call less per
  // small file, and a file that grew meanwhile has another size after, so the attempt is retried all the same. The
  // path is not looked up again: a file renamed over it during the read was read whole, as the file it replaced, and
  // the next scan sees the new one (another inode).
  function readOnce(path: string, batch: ReadBatch): ReadResult | undefined {
    const fd = fs.openSync(path, 'r');
    try {
      const before = statOf(fs.fstatSync(fd));
      const entries: Uint8Array[] = [];
      let filled = 0;
      let total = 0;
      let eof = false;
      let inline: Uint8Array | undefined;
      while (!eof || filled > 0) {
        if (!eof && filled < window.length) {
          const n = fs.readSync(fd, window, filled, Math.min(window.length - filled, Math.max(before.size - total, 1)), null);
          filled += n;
          total += n;
          if (n === 0 || total >= before.size) eof = true;
          if (!eof && filled < window.length) continue;
        }
        if (eof && total <= batch.inlineMaxBytes && inline === undefined) {
          // Small enough to travel inside its record: no chunks to cut. Read into a buffer with room for the record's
          // header, which the main thread then fills in place (instead of copying the bytes into a new buffer).
          inline = new Uint8Array(batch.inlineRoom + filled).subarray(batch.inlineRoom);
          inline.set(window.subarray(0, filled));
          filled = 0;
          break;
        }
        const at = cutWindow(entries, filled, eof);
        window.copy(window, 0, at, filled);
        filled -= at;
      }
      const after = statOf(fs.fstatSync(fd));
      if (!same(before, after) || total !== before.size) return undefined;
      const chunks = packed(entries);
      return inline ? { stat: after, chunks, inline } : { stat: after, chunks };
    } finally {
      fs.closeSync(fd);
    }
  }

  // One segment of a large file, cut as readOnce cuts a whole file, from `start` (positional reads) until the first
  // cut at or past `stopAfter`; the main thread joins the segments (parallel-cut.ts) and checks the stats agree.
  function cutSegment(segment: CutSegment): CutResult {
    let fd: number;
    try {
      fd = fs.openSync(segment.path, 'r');
    } catch (e) {
      return isGone(e) ? { missing: true } : { error: errorOf(e) };
    }
    try {
      const before = statOf(fs.fstatSync(fd));
      const entries: Uint8Array[] = [];
      let position = segment.start; // file offset of window[0]
      let filled = 0;
      let eof = false;
      let done = false;
      while (!done && (!eof || filled > 0)) {
        if (!eof && filled < window.length) {
          const n = fs.readSync(fd, window, filled, window.length - filled, position + filled);
          if (n === 0) eof = true;
          filled += n;
          if (!eof && filled < window.length) continue;
        }
        const at = cutWindow(entries, filled, eof, segment.stopAfter - position);
        done = position + at >= segment.stopAfter;
        window.copy(window, 0, at, filled);
        position += at;
        filled -= at;
      }
      const stat = statOf(fs.fstatSync(fd));
      let now: FileStat | null = null;
      try {
        now = statOf(fs.lstatSync(segment.path));
      } catch (e) {
        if (!isGone(e)) throw e;
      }
      const chunks = packed(entries);
      return { before, stat, now, chunks, end: position };
    } catch (e) {
      return { error: errorOf(e) };
    } finally {
      fs.closeSync(fd);
    }
  }

  function readFiles(items: ReadItem[], batch: ReadBatch): ReadResult[] {
    return items.map((item) => {
      try {
        for (let attempt = 1; attempt <= batch.attempts; attempt++) {
          const read = readOnce(item.path, batch);
          if (read) return read;
        }
        return { unstable: true };
      } catch (e) {
        return isGone(e) ? { missing: true } : { error: errorOf(e) };
      }
    });
  }

  // The chunk's bytes into `into` at `offset`, from the first place that holds them (checked by hash).
  function readChunk(fds: Map<string, number | null>, chunk: ChunkSource, into: Buffer, offset: number, region: string): void {
    for (const [file, at] of chunk.at) {
      if (!fds.has(file)) {
        try {
          fds.set(file, fs.openSync(file, 'r'));
        } catch {
          fds.set(file, null);
        }
      }
      const fd = fds.get(file)!;
      if (fd === null) continue;
      const n = fs.readSync(fd, into, offset, chunk.size, at);
      if (n === chunk.size && createHash('sha256').update(into.subarray(offset, offset + n)).digest('hex') === chunk.hash) return;
    }
    throw coded('STORE_UNAVAILABLE', `chunk ${chunk.hash.slice(0, 16)}… is no longer on disk in ${region} (its file changed after the last scan); the next scan replaces the file's record`, chunk.hash);
  }

  // Chunks to send: views of one buffer for the request (handed to the main thread without a copy; a buffer per
  // chunk was thousands of allocations for a large file, each freed by the main thread's garbage collector).
  function readChunks(items: ChunkSource[], region: string): Array<Uint8Array | { error: WorkerError }> {
    const fds = new Map<string, number | null>();
    let total = 0;
    for (const chunk of items) total += chunk.size;
    const out = Buffer.allocUnsafeSlow(total);
    let at = 0;
    try {
      return items.map((chunk) => {
        const offset = at;
        at += chunk.size;
        try {
          readChunk(fds, chunk, out, offset, region);
          return new Uint8Array(out.buffer, offset, chunk.size);
        } catch (e) {
          return { error: errorOf(e) };
        }
      });
    } finally {
      for (const fd of fds.values()) if (fd !== null) fs.closeSync(fd);
    }
  }

  // Chunks into an assembly at their offsets, then their entries appended to its index (both synced when durable).
  function place(file: string, runs: PlaceRun[], index: string, entries: Uint8Array, durable: boolean): [] {
    // Each chunk checked against its hash before anything is written (on this thread, not the event loop's): a
    // corrupted one refuses the whole request, and the batch that carried it is applied nowhere.
    const view = Buffer.from(entries.buffer, entries.byteOffset, entries.byteLength);
    for (let at = 0; at + 44 <= view.length; at += 44) {
      const offset = Number(view.readBigUInt64BE(at + 32));
      const length = view.readUInt32BE(at + 40);
      const run = runs.find((r) => r.offset <= offset && offset + length <= r.offset + r.data.length);
      const hash = view.subarray(at, at + 32);
      if (!run || !createHash('sha256').update(run.data.subarray(offset - run.offset, offset - run.offset + length)).digest().equals(hash)) {
        const key = `chunk:${hash.toString('hex')}`;
        throw coded('INVALID_ARGUMENT', `record "${key}" carries bytes whose SHA-256 is not its key (corrupted)`, key);
      }
    }
    const fd = fs.openSync(file, 'r+');
    try {
      for (const run of runs) for (let done = 0; done < run.data.length; ) done += fs.writeSync(fd, run.data, done, run.data.length - done, run.offset + done);
      if (durable) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    const ifd = fs.openSync(index, 'a');
    try {
      for (let done = 0; done < entries.length; ) done += fs.writeSync(ifd, entries, done, entries.length - done);
      if (durable) fs.fsyncSync(ifd);
    } finally {
      fs.closeSync(ifd);
    }
    return [];
  }

  function writeFiles(items: WriteItem[], batch: WriteBatch): WriteResult[] {
    const checked = new Set<string>();
    const touched = new Set<string>();
    const fds = new Map<string, number | null>();
    const ensureParents = (relative: string): void => {
      let dir = batch.root;
      for (const segment of relative.split('/').slice(0, -1)) {
        dir = join(dir, segment);
        // Directories already checked by this batch are not looked up again.
        if (checked.has(dir)) continue;
        checked.add(dir);
        try {
          const info = fs.lstatSync(dir);
          if (info.isDirectory()) continue;
          throw coded('INVALID_ARGUMENT', `cannot write ${join(batch.root, relative)}: ${dir} is ${info.isSymbolicLink() ? 'a symbolic link' : 'not a directory'} here, and files are never written through one`, dir);
        } catch (e) {
          if ((e as { code?: string }).code !== 'ENOENT') throw e;
          try {
            fs.mkdirSync(dir);
          } catch (made) {
            // Another disk thread made it meanwhile: it must still be a directory.
            if ((made as { code?: string }).code !== 'EEXIST' || !fs.lstatSync(dir).isDirectory()) throw made;
          }
        }
      }
    };
    // Mode and times as the version has them; on disk before the rename when durable.
    const finishFile = (fd: number, item: WriteItem): void => {
      fs.fchmodSync(fd, item.mode ?? 0o644);
      fs.futimesSync(fd, item.mtimeMs / 1000, item.mtimeMs / 1000);
      if (batch.durable) fs.fsyncSync(fd);
    };
    const writeFile = (fd: number, item: WriteItem): void => {
      const writeAll = (bytes: Uint8Array): void => {
        for (let at = 0; at < bytes.length; ) at += fs.writeSync(fd, bytes, at, bytes.length - at);
      };
      if (item.data) writeAll(item.data);
      let filled = 0;
      // Chunks (4-64 KiB) are gathered into writes of about 1 MiB.
      for (const chunk of item.chunks ?? []) {
        readChunk(fds, chunk, gather, filled, batch.region);
        filled += chunk.size;
        if (filled >= GATHER) {
          writeAll(gather.subarray(0, filled));
          filled = 0;
        }
      }
      if (filled > 0) writeAll(gather.subarray(0, filled));
      finishFile(fd, item);
    };
    // The look before a received version replaces what is at its path (the only one: writes are planned from what the
    // store last saw): the entry must still be that (nothing, or the file the store last saw there; gone is fine too).
    // A local edit made since is never written over: it is left for the next scan to record, and the version waits.
    const unchangedSincePlanned = (file: string, item: WriteItem): boolean => {
      if (item.expect === undefined) return true;
      const now = fs.lstatSync(file, { throwIfNoEntry: false });
      return now === undefined || (item.expect !== null && same(statOf(now), item.expect));
    };
    // A received delete: the file goes only if it is still the one the store last saw (the same look as before a
    // rename, back to back with the unlink on this thread); one already gone is fine. Nothing is created on the way.
    const removeOne = (file: string, item: WriteItem): WriteResult => {
      if (!unchangedSincePlanned(file, item)) return { changed: true };
      try {
        fs.unlinkSync(file);
        touched.add(dirname(file));
      } catch (e) {
        if (!isGone(e)) throw e;
      }
      return { removed: true };
    };
    const writeOne = (item: WriteItem): WriteResult => {
      const file = join(batch.root, item.relative);
      if (item.kind === 'remove') return removeOne(file, item);
      ensureParents(item.relative);
      if (item.onlyIfAbsent) {
        try {
          fs.lstatSync(file);
          return { kept: true };
        } catch (e) {
          if (!isGone(e)) throw e;
        }
      }
      // A temp name beside the target (same directory, so the rename is atomic); a reader sees the old entry or the new one.
      const temp = join(dirname(file), `.${basename(file).slice(0, 100)}${data.tempMark}${tempName()}`);
      if (item.kind === 'link') {
        try {
          fs.symlinkSync(item.target!, temp);
          try {
            fs.lutimesSync(temp, new Date(item.mtimeMs), new Date(item.mtimeMs));
          } catch {
            // not every filesystem keeps link times
          }
          if (!unchangedSincePlanned(file, item)) {
            fs.rmSync(temp, { force: true });
            return { changed: true };
          }
          fs.renameSync(temp, file);
        } catch (e) {
          fs.rmSync(temp, { force: true });
          throw e;
        }
        touched.add(dirname(file));
        return { stat: statOf(fs.lstatSync(file)) };
      }
      // A file is renamed into place while still open, and its stat taken from the descriptor after the rename (which
      // changes the ctime the store keeps): no second walk of the path.
      const assembled = item.assembled;
      let fd: number | undefined;
      try {
        if (assembled !== undefined) {
          // Completed where its chunks were written as they arrived, then moved into place: its bytes are written once.
          fd = fs.openSync(assembled, 'r+');
          for (const chunk of item.fill ?? []) {
            readChunk(fds, chunk, gather, 0, batch.region);
            for (const offset of chunk.offsets) {
              for (let done = 0; done < chunk.size; ) done += fs.writeSync(fd, gather, done, chunk.size - done, offset + done);
            }
          }
          finishFile(fd, item);
        } else {
          fd = fs.openSync(temp, 'wx', 0o600);
          writeFile(fd, item);
        }
        if (!unchangedSincePlanned(file, item)) {
          if (assembled === undefined) fs.rmSync(temp, { force: true });
          return { changed: true };
        }
        fs.renameSync(assembled ?? temp, file);
        if (assembled !== undefined) touched.add(dirname(assembled));
        touched.add(dirname(file));
        return { stat: statOf(fs.fstatSync(fd)) };
      } catch (e) {
        if (assembled === undefined) fs.rmSync(temp, { force: true });
        throw e;
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
      }
    };
    try {
      const results = items.map((item): WriteResult => {
        try {
          return writeOne(item);
        } catch (e) {
          return { error: errorOf(e) };
        }
      });
      // The renames survive a crash once their directories are synced.
      if (batch.durable) {
        for (const dir of touched) {
          try {
            const fd = fs.openSync(dir, 'r');
            try {
              fs.fsyncSync(fd);
            } finally {
              fs.closeSync(fd);
            }
          } catch {
            // a directory removed meanwhile has nothing to keep
          }
        }
      }
      return results;
    } finally {
      for (const fd of fds.values()) if (fd !== null) fs.closeSync(fd);
    }
  }

  parentPort!.on('message', (request: DiskRequest) => {
    try {
      const results =
        request.op === 'lstat'
          ? lstatMany(request.paths, request.links)
          : request.op === 'chunks'
            ? readChunks(request.items, request.region)
            : request.op === 'place'
              ? place(request.file, request.runs, request.index, request.entries, request.durable)
            : request.op === 'read'
              ? readFiles(request.items, request.batch)
              : request.op === 'cut'
                ? [cutSegment(request.segment)]
                : writeFiles(request.items, request.batch);
      // Bytes read go back without a copy: their buffers are the request's own (never a pooled slab).
      const transfer: ArrayBuffer[] = [];
      if (request.op === 'chunks') {
        const read = (results as Array<Uint8Array | object>).find((r): r is Uint8Array => r instanceof Uint8Array);
        if (read) transfer.push(read.buffer as ArrayBuffer);
      }
      if (request.op === 'read' || request.op === 'cut') {
        for (const r of results as Array<ReadResult | CutResult>) {
          if ('chunks' in r) transfer.push(r.chunks.buffer as ArrayBuffer);
          if ('inline' in r && r.inline) transfer.push(r.inline.buffer as ArrayBuffer);
        }
      }
      parentPort!.postMessage({ id: request.id, results }, transfer);
    } catch (e) {
      parentPort!.postMessage({ id: request.id, failure: errorOf(e) });
    }
  });
}
