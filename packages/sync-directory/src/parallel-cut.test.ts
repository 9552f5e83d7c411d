import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sha256Hex, unpackEntries, type ChunkEntry } from './chunk-entry.js';
import { ContentChunker } from './content-chunker.js';
import { TEMP_MARK, type ReadResult } from './disk-protocol.js';
import { DiskPool, DiskWorker, PARALLEL_CUT_BYTES } from './disk-worker.js';
import { joinSegmentCuts } from './parallel-cut.js';

const chunker = new ContentChunker({ minBytes: 4096, avgBytes: 16_384, maxBytes: 65_536 });

/** Chunks cut from `start` until the first cut at or past `stopAfter`, as one disk thread cuts a segment. */
function cutFrom(data: Buffer, start: number, stopAfter = Infinity): ChunkEntry[] {
  const out: ChunkEntry[] = [];
  for (let at = start; at < data.length; ) {
    const length = chunker.cut(data, at, data.length, true);
    out.push({ hash: sha256Hex(data.subarray(at, at + length)), size: length });
    at += length;
    if (at >= stopAfter) break;
  }
  return out;
}

/** The join of `parts` segments of `data`, each thread cutting `overlap` bytes into the next. */
function joined(data: Buffer, parts: number, overlap = 1 << 20): ChunkEntry[] | undefined {
  const length = Math.ceil(data.length / parts);
  const starts = Array.from({ length: parts }, (_, k) => k * length);
  return joinSegmentCuts(
    starts,
    starts.map((s, k) => cutFrom(data, s, k + 1 < parts ? starts[k + 1]! + overlap : Infinity)),
  );
}

describe('joinSegmentCuts', () => {
  it('gives exactly the chunks of one cut from offset 0, for 2, 3 and 8 segments of random bytes', () => {
    const data = randomBytes(6 << 20);
    const sequential = cutFrom(data, 0);
    for (const parts of [2, 3, 8]) expect(joined(data, parts)).toEqual(sequential);
  });

  it('is exact when a segment starts on a cut of the sequential cutter (they meet at its first position)', () => {
    const data = randomBytes(2 << 20);
    const sequential = cutFrom(data, 0);
    const boundary = sequential.slice(0, 40).reduce((n, c) => n + c.size, 0);
    expect(joinSegmentCuts([0, boundary], [cutFrom(data, 0, boundary + (1 << 20)), cutFrom(data, boundary)])).toEqual(sequential);
  });

  it('gives up (undefined) when neighbours never meet within the overlap: a long run of zeros across the boundary', () => {
    // Zeros cut at fixed intervals from wherever a cutter starts: two cutters out of phase never meet in them.
    const data = Buffer.concat([randomBytes(1 << 20), Buffer.alloc(4 << 20), randomBytes(1 << 20)]);
    const result = joined(data, 2, 512 * 1024);
    // Either exact (they happened to be in phase) or a refusal: never a different cut.
    if (result !== undefined) expect(result).toEqual(cutFrom(data, 0));
    else expect(joined(data, 2, 4 << 20)).toEqual(cutFrom(data, 0)); // with the random bytes after the run inside the overlap, they meet
  });
});

describe('DiskPool cuts a large file on every thread at once', () => {
  let dir = '';
  let files: Record<string, Buffer> = {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meridian-parallel-cut-'));
    files = {
      random: randomBytes(PARALLEL_CUT_BYTES + 3_000_001),
      // Mostly zeros (a sparse image): the segments never meet in them, and the pool cuts it on one thread.
      zeros: Buffer.concat([randomBytes(100_000), Buffer.alloc(PARALLEL_CUT_BYTES * 2), randomBytes(100_000)]),
    };
    for (const [name, data] of Object.entries(files)) await writeFile(join(dir, name), data);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes the same chunks as one thread reading the file, random bytes or long runs of zeros', async () => {
    const one = new DiskPool(1, chunker.params, TEMP_MARK, 'a');
    const four = new DiskPool(4, chunker.params, TEMP_MARK, 'a');
    try {
      for (const [name, data] of Object.entries(files)) {
        const item = { path: join(dir, name), size: data.length };
        const batch = { inlineMaxBytes: 16_384, inlineRoom: 0, attempts: 3 };
        const [a] = await one.read([item], batch);
        const wholeReads = vi.spyOn(DiskWorker.prototype, 'read');
        const [b, small] = await four.read([item, { path: join(dir, 'random'), size: 1 }], batch); // a small item beside it keeps its place
        // The random file is joined from its segments; the zeros fall back to one thread reading the whole file.
        expect(wholeReads.mock.calls.map(([items]) => items.map((i) => i.size))).toEqual(name === 'random' ? [[1]] : [[1], [data.length]]);
        wholeReads.mockRestore();
        const chunks = (r: ReadResult | undefined) => (r && 'chunks' in r ? unpackEntries(Buffer.from(r.chunks)) : r);
        expect(chunks(b)).toEqual(chunks(a));
        expect(chunks(a)).toEqual(cutFrom(data, 0));
        expect(small).toMatchObject({ stat: { size: data === files.random ? data.length : files.random!.length } });
      }
      // Gone before it is read: reported missing, as a one-thread read reports it.
      expect(await four.read([{ path: join(dir, 'nope'), size: PARALLEL_CUT_BYTES }], { inlineMaxBytes: 0, inlineRoom: 0, attempts: 1 })).toEqual([{ missing: true }]);
    } finally {
      await one.close();
      await four.close();
    }
  }, 60_000);
});
