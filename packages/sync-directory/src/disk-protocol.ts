/** What the store keeps of a file's stat: enough to tell it unchanged without reading it. */
export interface FileStat {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
  mode: number;
  kind: 'file' | 'dir' | 'link' | 'other';
}

/** The fields of a stat that tell a file unchanged (a FileStat, or a `node:fs` Stats). */
export type StatIdentity = Pick<FileStat, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino' | 'dev'>;

/** Same file, same content as far as the inode tells: size, mtime, ctime and inode number. */
export function sameStat(a: StatIdentity, b: StatIdentity): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino && a.dev === b.dev;
}

/** An lstat, with a link's target and whether resolving it loops (asked with `links`). Null: no such entry. */
export type LstatResult = (FileStat & { target?: string; loop?: boolean }) | null;

/** A file to read and cut into chunks. */
export interface ReadItem {
  /** Absolute path. */
  path: string;
  /** Its size as the walk saw it: a large file is cut by every disk thread at once (see `parallel-cut.ts`). */
  size?: number;
}

/** A segment of a large file to cut: from `start` until the first cut at or past `stopAfter` (or the file's end). */
export interface CutSegment {
  path: string;
  start: number;
  stopAfter: number;
}

/** What cutting a segment gave: the file's stat before and after, the path's at the end, and where the last cut fell. */
export type CutResult = { before: FileStat; stat: FileStat; now: FileStat | null; chunks: Uint8Array; end: number } | { missing: true } | { error: WorkerError };

/** What reading one file gave. */
export type ReadResult =
  /**
   * `chunks`: packed entries (32 bytes of SHA-256, 4 of size), none for a file that is inlined; `inline`: its bytes,
   * at offset `inlineRoom` of a buffer of their own (the room before them is for the record's header).
   */
  | { stat: FileStat; chunks: Uint8Array; inline?: Uint8Array }
  /** Gone since the walk. */
  | { missing: true }
  /** Changed while it was read, every attempt. */
  | { unstable: true }
  | { error: WorkerError };

/** Options of a read batch. */
export interface ReadBatch {
  inlineMaxBytes: number;
  /** Bytes left free before an inlined file's bytes, in their buffer. */
  inlineRoom: number;
  attempts: number;
}

/** Where a chunk's bytes can be read: candidates in order (a staged pack, a file of the tree) at an offset. */
export interface ChunkSource {
  hash: string;
  size: number;
  at: Array<[file: string, offset: number]>;
}

/** Bytes to write at an offset of an assembly (chunks that sit end to end, in one piece). */
export interface PlaceRun {
  offset: number;
  data: Uint8Array;
}

/** A chunk to copy into an assembly: where to read it, and every offset of the file it goes to. */
export interface FillChunk extends ChunkSource {
  offsets: number[];
}

/**
 * One entry to put in the tree, atomically (temp name beside it, then a
 * rename), or to take out of it (`remove`: a received delete won).
 */
export interface WriteItem {
  /** Path relative to the batch's root, with `/`. */
  relative: string;
  kind: 'file' | 'link' | 'remove';
  mtimeMs: number;
  /** Permission bits (files). */
  mode?: number;
  /** The whole content (small files). */
  data?: Uint8Array;
  /** The content as chunks, in order (checked against their hash as they are read). */
  chunks?: ChunkSource[];
  /** A link's target text. */
  target?: string;
  /**
   * What the store last saw at the path (null: nothing), which the write was
   * planned from: checked just before the rename (or the removal), and the
   * write is dropped (`changed`) when the path holds something else (a local
   * edit).
   */
  expect?: FileStat | null;
  /** Written only when nothing is there yet (a conflict copy is kept once). */
  onlyIfAbsent?: boolean;
  /** The file was assembled here (absolute path, same file system): `fill` completes it, then it is renamed into place. */
  assembled?: string;
  /** Chunks the assembly does not hold yet. */
  fill?: FillChunk[];
}

/** Options of a write batch. */
export interface WriteBatch {
  root: string;
  /** fsync each file before its rename, and each directory it touched at the end. */
  durable: boolean;
  /** Region name, for error messages. */
  region: string;
}

/** What writing one entry gave: its lstat once in place, `kept` when `onlyIfAbsent` found one, `removed` (gone, or already gone). */
export type WriteResult = { stat: FileStat } | { kept: true } | { changed: true } | { removed: true } | { error: WorkerError };

/** An error as the worker reports it: a Meridian code when it is one of ours, the errno code otherwise. */
export interface WorkerError {
  code: string;
  message: string;
  field?: string;
}

/** A request to the worker. */
export type DiskRequest =
  | { id: number; op: 'lstat'; paths: string[]; links: boolean }
  | { id: number; op: 'chunks'; items: ChunkSource[]; region: string }
  | { id: number; op: 'place'; file: string; runs: PlaceRun[]; index: string; entries: Uint8Array; durable: boolean }
  | { id: number; op: 'read'; items: ReadItem[]; batch: ReadBatch }
  | { id: number; op: 'cut'; segment: CutSegment }
  | { id: number; op: 'write'; items: WriteItem[]; batch: WriteBatch };

/** The worker's answer to request `id`. */
export type DiskResponse = { id: number; results: unknown[] } | { id: number; failure: WorkerError };

/** Marks a temp file of this store; the scan never syncs one. */
export const TEMP_MARK = '.meridian-tmp-';
