// The floor of this design: the file-system and hashing work any content-addressed copy of a tree pays, with no
// record at all. Two passes, as the store makes them, on as many threads as the store's default `ioThreads` (2):
//  1. scan: each file opened, stat'ed and read; files up to `inlineMaxBytes` hashed whole, larger ones cut into
//     content-defined chunks (the store's own cut function, from its source text) and each chunk hashed (SHA-256);
//     a large file is cut by every thread, one segment each;
//  2. copy: each file read again, its bytes hashed again (the receiver's check), written to a temporary name,
//     mode and mtime set, renamed into place; a large file written in place by every thread, one segment each.
// What our sync takes beyond this is the cost of its records (scan records, journal, frames, versions, apply).
import { closeSync, lstatSync, openSync, readdirSync } from 'node:fs';
import { chmod, mkdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { cutParams, cutPoint } from '../src/content-chunker.js';
import { parseDirectoryOptions } from '../src/directory-store-options.js';

// The store's defaults, not copies of them: the floor does the work a store opened without options does.
const DEFAULTS = parseDirectoryOptions({ regionId: 'floor', dataPath: '.' });
const THREADS = DEFAULTS.ioThreads;
const INLINE_MAX = DEFAULTS.inlineMaxBytes;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { join } = require('node:path');
const { createHash } = require('node:crypto');
const cutPoint = (0, eval)('(' + workerData.cut + ')');
const p = workerData.params;
const buf = Buffer.allocUnsafe(4 << 20);
const sha = (b) => createHash('sha256').update(b).digest();
// Hashes every chunk of buf[0, end) it can cut; returns where the uncut rest starts.
function chunks(end, final) {
  let at = 0;
  while (at < end) {
    const n = cutPoint(p, buf, at, end, final);
    if (n === 0) break;
    sha(buf.subarray(at, at + n));
    at += n;
  }
  return at;
}
parentPort.on('message', ({ op, source, target, small, big }) => {
  for (const f of small) {
    const fd = fs.openSync(join(source, f), 'r');
    const st = fs.fstatSync(fd);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    fs.closeSync(fd);
    sha(buf.subarray(0, n));
    if (op === 'copy') {
      const tmp = join(target, f + '.floor~');
      const out = fs.openSync(tmp, 'w');
      fs.writeSync(out, buf, 0, n);
      fs.fchmodSync(out, st.mode & 0o7777);
      fs.futimesSync(out, st.atime, st.mtime);
      fs.closeSync(out);
      fs.renameSync(tmp, join(target, f));
    }
  }
  for (const { path, from, to } of big) {
    const fd = fs.openSync(join(source, path), 'r');
    const out = op === 'copy' ? fs.openSync(join(target, path), 'r+') : undefined;
    let carry = 0;
    for (let pos = from; pos < to; ) {
      const n = fs.readSync(fd, buf, carry, Math.min(buf.length - carry, to - pos), pos);
      if (out !== undefined) fs.writeSync(out, buf, carry, n, pos);
      pos += n;
      const end = carry + n;
      const used = chunks(end, pos >= to);
      buf.copy(buf, 0, used, end);
      carry = end - used;
    }
    fs.closeSync(fd);
    if (out !== undefined) fs.closeSync(out);
  }
  parentPort.postMessage('done');
});
`;

interface Job {
  op: 'scan' | 'copy';
  source: string;
  target: string;
  small: string[];
  big: Array<{ path: string; from: number; to: number }>;
}

interface FileInfo {
  path: string;
  size: number;
  mode: number;
  atime: Date;
  mtime: Date;
}

// The walk on this thread with synchronous calls: a few microseconds each on a local disk, where an awaited
// fs/promises call per entry took 0.45-0.58 s for these 10 000 files.
function listFiles(root: string): FileInfo[] {
  const out: FileInfo[] = [];
  const visit = (rel: string): void => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile()) {
        const s = lstatSync(join(root, path));
        out.push({ path, size: s.size, mode: s.mode, atime: s.atime, mtime: s.mtime });
      }
    }
  };
  visit('');
  return out;
}

/**
 * Copies `source` into the empty directory `target` the floor's way (scan, then copy) and returns how long it took,
 * the walk of the source included (rsync walks it too). `beforeEnd` runs once the copy is done, while its threads
 * still exist (a thread's CPU time can be read only as long as it runs).
 */
export async function floorCopy(source: string, target: string, beforeEnd?: () => void): Promise<number> {
  const started = performance.now();
  const params = cutParams(DEFAULTS.chunkSizes);
  const workers = Array.from({ length: THREADS }, () => new Worker(WORKER, { eval: true, workerData: { cut: cutPoint.toString(), params } }));
  try {
    const files = listFiles(source);
    const small = files.filter((f) => f.size <= INLINE_MAX).map((f) => f.path);
    const large = files.filter((f) => f.size > INLINE_MAX);
    const run = (op: Job['op']): Promise<unknown> =>
      Promise.all(
        workers.map((worker, k) => {
          const job: Job = {
            op,
            source,
            target,
            small: small.filter((_, i) => i % THREADS === k),
            // Segment k of each large file; a cut past a segment's end is what the store's join settles, not timed here.
            big: large.map((f) => ({ path: f.path, from: Math.floor((f.size * k) / THREADS), to: Math.floor((f.size * (k + 1)) / THREADS) })),
          };
          return new Promise((resolve, reject) => {
            worker.once('message', resolve);
            worker.once('error', reject);
            worker.postMessage(job);
          });
        }),
      );
    await run('scan');
    const dirs = new Set(files.map((f) => f.path.split('/').slice(0, -1).join('/')).filter((d) => d !== ''));
    for (const dir of dirs) await mkdir(join(target, dir), { recursive: true });
    // The large files exist before the threads write their segments into them.
    for (const f of large) closeSync(openSync(join(target, f.path), 'w'));
    await run('copy');
    for (const f of large) {
      await chmod(join(target, f.path), f.mode & 0o7777);
      await utimes(join(target, f.path), f.atime, f.mtime);
    }
    const millis = performance.now() - started;
    beforeEnd?.();
    return millis;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
