import { Worker } from 'node:worker_threads';
import { MeridianError } from '@meridian/core';
import { cutPoint, type CutParams } from './content-chunker.js';
import { diskWorkerBody, type DiskWorkerData } from './disk-worker-body.js';
import { packEntries, unpackEntries } from './chunk-entry.js';
import { sameStat, type ChunkSource, type CutResult, type CutSegment, type DiskRequest, type PlaceRun, type DiskResponse, type LstatResult, type ReadBatch, type ReadItem, type ReadResult, type WorkerError, type WriteBatch, type WriteItem, type WriteResult } from './disk-protocol.js';
import { joinSegmentCuts } from './parallel-cut.js';

// The worker runs from source text: the same functions whether this package runs from its ESM or CJS build or
// from source under a test runner, with no second entry file to locate next to whichever of them is loaded.
// `__name`: what esbuild's keepNames (tsx, some bundlers) wraps functions in; the text carries no helper of its own.
const SOURCE = `'use strict';\nvar __name = (fn) => fn;\nconst cutPoint = (${cutPoint.toString()});\n(${diskWorkerBody.toString()})(cutPoint, require);\n`;

/** Batches of files per message: bounds how long an abort waits, and how much one message carries. */
export const DISK_BATCH = 256;

/** Files of this size or more are cut by every disk thread at once (16 MiB: below it a thread cuts one in under 40 ms). */
export const PARALLEL_CUT_BYTES = 16 << 20;

/**
 * The store's disk thread (see `disk-worker-body.ts` for why one): requests
 * in, results out, in order. The thread keeps the process alive only while a
 * request is pending (an idle store never holds a host open). If it dies,
 * every pending and later request fails with `STORE_UNAVAILABLE`.
 */
export class DiskWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (results: unknown[]) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #dead: Error | undefined;
  readonly #region: string;

  constructor(cut: CutParams, tempMark: string, region: string) {
    this.#region = region;
    const workerData: DiskWorkerData = { cut, tempMark };
    this.#worker = new Worker(SOURCE, { eval: true, workerData });
    this.#worker.unref();
    this.#worker.on('message', (response: DiskResponse) => this.#settle(response));
    this.#worker.on('error', (error) => this.#die(error));
    this.#worker.on('exit', (code) => this.#die(new Error(`exited with code ${code}`)));
  }

  /** lstat of each path (null: none); with `links`, a link's target and whether it loops. */
  lstat(paths: string[], links = false): Promise<Array<LstatResult | { error: WorkerError }>> {
    return this.#call({ id: 0, op: 'lstat', paths, links }) as Promise<Array<LstatResult | { error: WorkerError }>>;
  }

  /** Reads chunks to send, each checked against its hash. */
  chunks(items: ChunkSource[]): Promise<Array<Uint8Array | { error: WorkerError }>> {
    return this.#call({ id: 0, op: 'chunks', items, region: this.#region }) as Promise<Array<Uint8Array | { error: WorkerError }>>;
  }

  /**
   * Checks each chunk against its hash, writes runs of chunk bytes into an
   * assembly and appends their index entries. The buffers in `transfer` move
   * to the thread (unusable here afterwards) instead of being copied.
   */
  place(file: string, runs: PlaceRun[], index: string, entries: Uint8Array, durable: boolean, transfer: ArrayBuffer[] = []): Promise<unknown[]> {
    return this.#call({ id: 0, op: 'place', file, runs, index, entries, durable }, transfer);
  }

  /** Reads and cuts files. */
  read(items: ReadItem[], batch: ReadBatch): Promise<ReadResult[]> {
    return this.#call({ id: 0, op: 'read', items, batch }) as Promise<ReadResult[]>;
  }

  /**
   * Writes entries atomically under `batch.root`. Small files' bytes cross
   * as views of one buffer, moved (not copied) to the thread, as chunks bound
   * for an assembly do: a buffer per file cost the main thread about 7 µs
   * each in postMessage.
   */
  write(items: WriteItem[], batch: WriteBatch): Promise<WriteResult[]> {
    let total = 0;
    for (const item of items) total += item.data?.length ?? 0;
    if (total === 0) return this.#call({ id: 0, op: 'write', items, batch }) as Promise<WriteResult[]>;
    const packed = new Uint8Array(total);
    let at = 0;
    const sent = items.map((item): WriteItem => {
      if (item.data === undefined) return item;
      packed.set(item.data, at);
      return { ...item, data: packed.subarray(at, (at += item.data.length)) };
    });
    return this.#call({ id: 0, op: 'write', items: sent, batch }, [packed.buffer]) as Promise<WriteResult[]>;
  }

  /** Cuts one segment of a large file (see `parallel-cut.ts`). */
  async cut(segment: CutSegment): Promise<CutResult> {
    return ((await this.#call({ id: 0, op: 'cut', segment })) as CutResult[])[0]!;
  }

  /** Stops the thread (after the request it is on). */
  async close(): Promise<void> {
    this.#dead ??= new Error('closed');
    await this.#worker.terminate();
  }

  #call(request: DiskRequest, transfer: ArrayBuffer[] = []): Promise<unknown[]> {
    if (this.#dead) return Promise.reject(this.#unavailable());
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref();
      this.#worker.postMessage({ ...request, id }, transfer);
    });
  }

  #settle(response: DiskResponse): void {
    const waiter = this.#pending.get(response.id);
    if (!waiter) return;
    this.#pending.delete(response.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if ('failure' in response) waiter.reject(fromWorker(response.failure));
    else waiter.resolve(response.results);
  }

  #die(cause: Error): void {
    this.#dead ??= cause;
    const error = this.#unavailable();
    for (const waiter of this.#pending.values()) waiter.reject(error);
    this.#pending.clear();
  }

  #unavailable(): MeridianError {
    return new MeridianError('STORE_UNAVAILABLE', `the disk thread of the directory store of ${this.#region} stopped (${this.#dead?.message ?? 'unknown'})`, { cause: this.#dead });
  }
}

/**
 * Several disk threads as one: a request's items are split into one slice per
 * thread, run side by side, and the results put back in order. File creation
 * is latency-bound (on this machine's virtual disk an `open` that creates a
 * file took 40 µs or, at other moments, 400 µs): two threads halved the time
 * of writing 10 000 small files in both cases, where one thread is what rsync
 * uses. Entries of one request never share a path, so their order is free.
 */
export class DiskPool {
  readonly #workers: DiskWorker[];
  // How far a segment's thread cuts into the next segment, looking for a cut both made (parallel-cut.ts).
  readonly #overlap: number;

  constructor(threads: number, cut: CutParams, tempMark: string, region: string) {
    this.#workers = Array.from({ length: threads }, () => new DiskWorker(cut, tempMark, region));
    this.#overlap = Math.max(1 << 20, 16 * cut.max);
  }

  lstat(paths: string[], links = false): Promise<Array<LstatResult | { error: WorkerError }>> {
    return this.#split(paths, 64, (w, part) => w.lstat(part, links));
  }

  chunks(items: ChunkSource[]): Promise<Array<Uint8Array | { error: WorkerError }>> {
    return this.#split(items, 16, (w, part) => w.chunks(part));
  }

  /** Reads and cuts files; one of {@link PARALLEL_CUT_BYTES} or more is cut by every thread at once. */
  async read(items: ReadItem[], batch: ReadBatch): Promise<ReadResult[]> {
    const large = (item: ReadItem): boolean => this.#workers.length > 1 && (item.size ?? 0) >= PARALLEL_CUT_BYTES;
    if (!items.some(large)) return this.#split(items, 4, (w, part) => w.read(part, batch));
    const out = new Array<ReadResult>(items.length);
    const small = items.flatMap((item, i) => (large(item) ? [] : [i]));
    const read = await this.#split(
      small.map((i) => items[i]!),
      4,
      (w, part) => w.read(part, batch),
    );
    small.forEach((i, j) => (out[i] = read[j]!));
    for (const [i, item] of items.entries()) if (large(item)) out[i] = await this.#cutLarge(item, batch);
    return out;
  }

  /** See {@link DiskWorker.place}: on one thread (writes to one file, in order). */
  async place(file: string, runs: PlaceRun[], index: string, entries: Uint8Array, durable: boolean, transfer: ArrayBuffer[] = []): Promise<void> {
    await this.#workers[0]!.place(file, runs, index, entries, durable, transfer);
  }

  write(items: WriteItem[], batch: WriteBatch): Promise<WriteResult[]> {
    return this.#split(items, 8, (w, part) => w.write(part, batch));
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.close()));
  }

  // Segments of one size per thread, each cut on its own thread; joined into what one thread would have cut.
  async #cutLarge(item: ReadItem, batch: ReadBatch): Promise<ReadResult> {
    const size = item.size!;
    const length = Math.ceil(size / this.#workers.length);
    const starts = this.#workers.map((_, k) => k * length).filter((start) => start < size);
    for (let attempt = 1; attempt <= batch.attempts; attempt++) {
      const parts = await Promise.all(starts.map((start, k) => this.#workers[k]!.cut({ path: item.path, start, stopAfter: k + 1 < starts.length ? starts[k + 1]! + this.#overlap : Infinity })));
      if (parts.some((p) => 'missing' in p)) return { missing: true };
      const failed = parts.find((p): p is { error: WorkerError } => 'error' in p);
      if (failed) return failed;
      const cut = parts as Array<Extract<CutResult, { stat: unknown }>>;
      const first = cut[0]!.before;
      // Unchanged while every thread read it, and still at its path: else read again (as a one-thread read would).
      if (!cut.every((p) => sameStat(p.before, first) && sameStat(p.stat, first) && p.now !== null && sameStat(p.now, first))) continue;
      const joined = joinSegmentCuts(
        starts,
        cut.map((p) => unpackEntries(Buffer.from(p.chunks.buffer, p.chunks.byteOffset, p.chunks.byteLength))!),
      );
      if (!joined || joined.reduce((n, c) => n + c.size, 0) !== first.size) return (await this.#workers[0]!.read([item], batch))[0]!;
      return { stat: cut[0]!.stat, chunks: packEntries(joined) };
    }
    return { unstable: true };
  }

  // Items go out in small parts, each to the next thread that is free: a large file read on one thread does not
  // hold back the small ones, which the other threads take meanwhile. Results come back in order. `minPart`: a
  // message costs its two trips (about 17 µs each way on this machine), more than an lstat or a 16 KiB chunk read:
  // a frame's 16 chunks went out as 8 messages of 2, and the 12 800 chunks of a 200 MB file cost 0.2 s of main
  // thread in postMessage alone.
  async #split<I, R>(items: I[], minPart: number, call: (worker: DiskWorker, part: I[]) => Promise<R[]>): Promise<R[]> {
    if (items.length <= minPart || this.#workers.length === 1) return call(this.#workers[0]!, items);
    const size = Math.max(minPart, Math.ceil(items.length / (this.#workers.length * 4)));
    const parts: I[][] = [];
    for (let at = 0; at < items.length; at += size) parts.push(items.slice(at, at + size));
    const results: R[][] = new Array<R[]>(parts.length);
    let next = 0;
    await Promise.all(
      this.#workers.map(async (worker) => {
        for (let i = next++; i < parts.length; i = next++) results[i] = await call(worker, parts[i]!);
      }),
    );
    return results.flat();
  }
}

/** A worker's error as the main thread throws it: the MeridianError it stands for (the worker raises two codes), an errno-style Error otherwise. */
export function fromWorker(error: WorkerError): Error {
  if (error.code === 'INVALID_ARGUMENT') return new MeridianError('INVALID_ARGUMENT', error.message, { details: { field: error.field ?? '' } });
  if (error.code === 'STORE_UNAVAILABLE') return new MeridianError('STORE_UNAVAILABLE', error.message, { details: { target: error.field ?? '' } });
  return Object.assign(new Error(error.message), { code: error.code });
}
