import type { Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { MeridianError } from '@meridian/core';
import { sha256Hex, type ChunkEntry } from './chunk-entry.js';
import type { ContentChunker } from './content-chunker.js';

/** What reading a file gave: its chunks, its stat as read, and its bytes when small enough to inline. */
export interface FileRead {
  chunks: ChunkEntry[];
  stat: Stats;
  /** The whole content, for files of at most `inlineMaxBytes`. */
  inline?: Buffer;
}

const WINDOW_BYTES = 4 * 1024 * 1024;

/** Same file, same content as far as the inode tells: size, mtime, ctime and inode number. */
export function sameStat(a: Stats, b: Stats): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino && a.dev === b.dev;
}

/**
 * Reads and chunks a file, checking that it did not change while it was read
 * (stat of the open file before and after, and of the path after, which
 * catches a rename over it). A file caught changing is read again, up to
 * `attempts` times; then `PRECONDITION_FAILED` naming the path. So a torn
 * file, half old and half new, is never described as a version.
 */
export async function readFileStable(path: string, chunker: ContentChunker, inlineMaxBytes: number, attempts: number, buffer: Buffer, signal?: AbortSignal): Promise<FileRead> {
  for (let attempt = 1; ; attempt++) {
    const read = await readOnce(path, chunker, inlineMaxBytes, buffer, signal);
    if (read) return read;
    if (attempt >= attempts) {
      throw new MeridianError('PRECONDITION_FAILED', `${path} changed while it was being read, ${attempts} times in a row; it is not synced until it holds still (it will be tried again on the next scan)`, {
        details: { key: path },
      });
    }
  }
}

/** The read window a scan reuses for every file (allocating one per file dominated a scan of small files). */
export function readWindow(chunker: ContentChunker): Buffer {
  return Buffer.allocUnsafe(Math.max(WINDOW_BYTES, chunker.maxBytes * 2));
}

async function readOnce(path: string, chunker: ContentChunker, inlineMaxBytes: number, buffer: Buffer, signal: AbortSignal | undefined): Promise<FileRead | undefined> {
  const handle = await open(path, 'r');
  try {
    const before = await handle.stat();
    const chunks: ChunkEntry[] = [];
    let filled = 0;
    let eof = false;
    let total = 0;
    let inline: Buffer | undefined;
    while (!eof || filled > 0) {
      signal?.throwIfAborted();
      if (!eof && filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
        if (bytesRead === 0) eof = true;
        filled += bytesRead;
        total += bytesRead;
        if (!eof && filled < buffer.length) continue;
      }
      if (eof && total <= inlineMaxBytes && inline === undefined) inline = Buffer.from(buffer.subarray(0, filled));
      let at = 0;
      for (;;) {
        const length = chunker.cut(buffer, at, filled, eof);
        if (length === 0) break;
        chunks.push({ hash: sha256Hex(buffer.subarray(at, at + length)), size: length });
        at += length;
        if (at === filled) break;
      }
      buffer.copy(buffer, 0, at, filled);
      filled -= at;
    }
    const after = await handle.stat();
    const now = await lstat(path);
    if (!sameStat(before, after) || !sameStat(after, now) || total !== before.size) return undefined;
    return inline ? { chunks, stat: after, inline } : { chunks, stat: after };
  } finally {
    await handle.close();
  }
}
