import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import type { DirectorySync } from './directory-sync.js';
import { COMPACTING_SUFFIX, SegmentFile, segmentPath, skipBytes, type SegmentEntry } from './segment-file.js';
import { decodeRecord, encodeRecord, RecordKind } from './segment-record.js';

// Compaction writes its output in pieces of about this size.
const WRITE_BYTES = 1024 * 1024;

/** What {@link copyLiveRecords} needs. */
export interface CopyLiveRecordsOptions {
  directory: string;
  segmentBytes: number;
  /** The newest input: outputs take its sequence and the generations after its own, so they replay right after it. */
  after: { sequence: number; generation: number };
  /** The live entries of the inputs, in file order. */
  moving: Array<[string, SegmentEntry]>;
  /** Reads an entry's whole record. */
  read(entry: SegmentEntry, key: string): Promise<Buffer>;
  directorySync: DirectorySync;
  /** The etag a corrupt record answers to. */
  corruptEtag: string;
}

/** Thrown when a copy failed after some output was renamed into place (consistent on disk, unknown to the caller). */
export class CompactionRenamedError extends Error {
  constructor(readonly reason: unknown) {
    super(`compaction failed after renaming its output: ${(reason as Error)?.message ?? String(reason)}`);
  }
}

interface Output {
  generation: number;
  temp: string;
  path: string;
  handle: FileHandle;
  size: number;
  pending: Buffer[];
  pendingBytes: number;
}

/**
 * The first half of a compaction: copies the live records to new segments
 * under a temporary name, fsyncs them, renames them into place and fsyncs the
 * directory. Only then may the caller point its index at the copies and
 * remove the inputs. A damaged record is copied as a corrupt marker, so its
 * key keeps reading as corrupt instead of vanishing. On a failure before any
 * rename the temporary files are removed and the error rethrown.
 */
export async function copyLiveRecords(options: CopyLiveRecordsOptions): Promise<{ segments: SegmentFile[]; moved: Array<{ key: string; from: SegmentEntry; to: SegmentEntry }> }> {
  const outputs: Output[] = [];
  const moved: Array<{ key: string; from: SegmentEntry; output: Output; offset: number; length: number; etag: string; corrupt?: string }> = [];
  let renamed = false;
  try {
    let output: Output | undefined;
    for (const [key, entry] of options.moving) {
      let record: Buffer | undefined;
      let corrupt = entry.corrupt;
      if (corrupt === undefined) {
        const bytes = await options.read(entry, key);
        const decoded = decodeRecord(bytes, 0);
        if (decoded && decoded.kind === RecordKind.Put && decoded.key === key) record = bytes;
        else corrupt = `checksum mismatch in ${basename(entry.segment.path)} at offset ${entry.offset}`;
      }
      record ??= encodeRecord(RecordKind.Corrupt, key, '', Buffer.from(corrupt ?? 'damaged record'));
      if (!output || (output.size > 0 && output.size + record.length > options.segmentBytes)) {
        if (output) await flush(output);
        const generation = options.after.generation + 1 + outputs.length;
        const path = segmentPath(options.directory, options.after.sequence, generation);
        const temp = `${path}${COMPACTING_SUFFIX}`;
        output = { generation, temp, path, handle: await open(temp, 'wx+'), size: 0, pending: [], pendingBytes: 0 };
        outputs.push(output);
      }
      moved.push({ key, from: entry, output, offset: output.size, length: record.length, etag: corrupt === undefined ? entry.etag : options.corruptEtag, ...(corrupt === undefined ? {} : { corrupt }) });
      output.pending.push(record);
      output.pendingBytes += record.length;
      output.size += record.length;
      if (output.pendingBytes >= WRITE_BYTES) await flush(output);
    }
    if (output) await flush(output);
    await Promise.all(outputs.map((o) => o.handle.sync()));
    for (const o of outputs) {
      renamed = true;
      await rename(o.temp, o.path);
    }
    await options.directorySync.sync();
  } catch (error) {
    if (renamed) throw new CompactionRenamedError(error);
    await Promise.all(outputs.map((o) => o.handle.close().catch(() => undefined)));
    await Promise.all(outputs.map((o) => rm(o.temp, { force: true })));
    throw error;
  }
  const segments = new Map(outputs.map((o) => [o, new SegmentFile(options.after.sequence, o.generation, o.path, o.handle, o.size)]));
  return {
    segments: [...segments.values()],
    moved: moved.map((m) => ({
      key: m.key,
      from: m.from,
      to: { segment: segments.get(m.output)!, offset: m.offset, length: m.length, etag: m.etag, ...(m.corrupt === undefined ? {} : { corrupt: m.corrupt }) },
    })),
  };
}

async function flush(output: Output): Promise<void> {
  if (output.pending.length === 0) return;
  let position = output.size - output.pendingBytes;
  let buffers = output.pending;
  output.pending = [];
  output.pendingBytes = 0;
  while (buffers.length > 0) {
    const { bytesWritten } = await output.handle.writev(buffers, position);
    position += bytesWritten;
    buffers = skipBytes(buffers, bytesWritten);
  }
}
