import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

const NAME = /^(\d{12})-(\d{6})\.seg$/;
/** Suffix of a compaction output not yet renamed into place (removed at open). */
export const COMPACTING_SUFFIX = '.compacting';

/** Where a key's current record is: the index entry. */
export interface SegmentEntry {
  segment: SegmentFile;
  offset: number;
  /** The whole record's length. */
  length: number;
  etag: string;
  /** Why the record cannot be read, when it cannot. */
  corrupt?: string;
}

/**
 * One segment file. Segments replay in (sequence, generation) order: appends
 * go to a new sequence; compaction writes its output under the highest input
 * sequence with the next generations, so it sorts after everything it copied
 * and before everything appended since.
 */
export class SegmentFile {
  /** Bytes of the records that are still the current version of their key. */
  liveBytes = 0;
  /** Reads in flight (a removed segment's handle is closed when the last ends). */
  readers = 0;
  /** Removed by compaction. */
  retired = false;

  constructor(
    readonly sequence: number,
    readonly generation: number,
    readonly path: string,
    readonly handle: FileHandle,
    /** Bytes appended so far (the next record's offset). */
    public size: number,
  ) {}

  /** Bytes that no lookup reaches any more: overwritten, deleted, tombstones. */
  get deadBytes(): number {
    return this.size - this.liveBytes;
  }

  /** Reads `length` bytes at `offset`. */
  async read(offset: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buffer, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === length ? buffer : buffer.subarray(0, done);
  }

  /** Appends `buffers` at the end (positioned writes, short writes continued). */
  async append(buffers: Buffer[]): Promise<void> {
    let position = this.size;
    let pending = buffers;
    while (pending.length > 0) {
      const { bytesWritten } = await this.handle.writev(pending, position);
      position += bytesWritten;
      pending = skipBytes(pending, bytesWritten);
    }
    this.size = position;
  }
}

/** Orders segments for replay. */
export function compareSegments(a: { sequence: number; generation: number }, b: { sequence: number; generation: number }): number {
  return a.sequence - b.sequence || a.generation - b.generation;
}

/** The file name of a segment. */
export function segmentName(sequence: number, generation: number): string {
  return `${String(sequence).padStart(12, '0')}-${String(generation).padStart(6, '0')}.seg`;
}

/** The path of a segment in `directory`. */
export function segmentPath(directory: string, sequence: number, generation: number): string {
  return join(directory, segmentName(sequence, generation));
}

/** Sequence and generation of a segment file name, or undefined for any other file. */
export function parseSegmentName(name: string): { sequence: number; generation: number } | undefined {
  const match = NAME.exec(name);
  return match ? { sequence: Number(match[1]), generation: Number(match[2]) } : undefined;
}

/** `buffers` without their first `bytes` bytes (what a short write left). */
export function skipBytes(buffers: Buffer[], bytes: number): Buffer[] {
  let skip = bytes;
  const rest: Buffer[] = [];
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return rest;
}
