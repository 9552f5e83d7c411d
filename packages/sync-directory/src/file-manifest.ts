import { MeridianError } from '@meridian/core';
import { PACKED_ENTRY_BYTES, unpackEntries, type ChunkEntry } from './chunk-entry.js';

/**
 * A regular file, as the store works with it. Exactly one of `data` (the
 * whole content, for small files), `chunks` (packed chunk entries, base64) or
 * `pieces` (packed entries of *index pieces*: chunks whose bytes are packed
 * chunk entries, for large files, so a one-chunk edit re-sends one small piece
 * and not a list of every chunk) says what the content is. As a record value
 * (see {@link manifestValue}) a file with `data` is binary: its bytes travel
 * and are journaled raw, never as base64 in JSON.
 */
export interface FileManifest {
  type: 'file';
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
  /** Modification time, whole milliseconds since the epoch. */
  mtimeMs: number;
  size: number;
  data?: Buffer;
  chunks?: string;
  pieces?: string;
}

/** A symbolic link as a record value: its target text, never followed. */
export interface LinkManifest {
  type: 'link';
  target: string;
  mtimeMs: number;
}

/** What a `file:` record holds. */
export type Manifest = FileManifest | LinkManifest;

// Canonical base64 (as Buffer writes it, padded): a round trip gives the text back. Native, where a regular
// expression over 10 000 inlined files took 0.4 s of a sync.
const isCanonicalBase64 = (s: string): boolean => s.length % 4 === 0 && Buffer.from(s, 'base64').toString('base64') === s;

// By hand, not with zod: every received file goes through here, and a zod parse (object, union, refinements) cost
// 35 µs a manifest, 0.1 s of the sync of 10 000 small files. The rules are the same; the first one broken is named.
const FILE_FIELDS = new Set(['type', 'mode', 'mtimeMs', 'size', 'data', 'chunks', 'pieces']);
const LINK_FIELDS = new Set(['type', 'target', 'mtimeMs']);
const decodedLength = (base64: string): number => (base64.length / 4) * 3 - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function manifestProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return '(root): must be an object';
  const m = value as Record<string, unknown>;
  if (m.type !== 'file' && m.type !== 'link') return 'type: must be "file" or "link"';
  const fields = m.type === 'file' ? FILE_FIELDS : LINK_FIELDS;
  for (const k in m) if (!fields.has(k)) return `${k}: unknown field of a ${m.type} manifest`;
  if (!isInt(m.mtimeMs)) return 'mtimeMs: must be an integer';
  if (m.type === 'link') return typeof m.target === 'string' && m.target.length >= 1 && m.target.length <= 4096 ? undefined : 'target: must be a string of 1 to 4096 characters';
  if (!isInt(m.mode) || m.mode < 0 || m.mode > 0o7777) return 'mode: must be an integer from 0 to 0o7777';
  if (!isInt(m.size) || m.size < 0) return 'size: must be a whole number of bytes';
  let content = 0;
  for (const k of ['data', 'chunks', 'pieces'] as const) {
    const v = m[k];
    if (v === undefined) continue;
    content += 1;
    if (typeof v !== 'string' || !isCanonicalBase64(v)) return `${k}: must be base64 (canonical, padded)`;
    if (k === 'data' && decodedLength(v) !== m.size) return `data: holds ${decodedLength(v)} bytes, not size ${String(m.size)}`;
    if (k !== 'data' && decodedLength(v) % PACKED_ENTRY_BYTES !== 0) return `${k}: must be whole ${PACKED_ENTRY_BYTES}-byte chunk entries`;
  }
  return content === 1 ? undefined : '(root): needs exactly one of data, chunks, pieces';
}

// A small file as a binary record value: a version byte, the mode (u16), the mtime (float64, whole milliseconds),
// then the bytes. A sync frame carries a binary value raw beside its JSON (core's `bin`), and the journal writes it
// raw too: base64 in JSON cost a third more bytes and ten passes over them (encode, serialize, compress, parse, check,
// decode, on both sides), 37 % of the time of a sync of 10 000 small files.
const SMALL_FILE_FORMAT = 1;
const SMALL_FILE_HEADER = 11;

/** Bytes left free before a small file's bytes read from disk, for {@link manifestValue} to fill. */
export const SMALL_FILE_ROOM = SMALL_FILE_HEADER;
// Buffers whose first SMALL_FILE_ROOM bytes are free for a header, each until its one use (see withHeaderRoom).
const roomy = new WeakSet<ArrayBufferLike>();

/**
 * Marks `data` (at offset {@link SMALL_FILE_ROOM} of a buffer of its own, as
 * the disk thread reads a small file) so that {@link manifestValue} writes
 * the header in front of it instead of copying it: a new buffer per file was
 * 3 µs of each small file's scan.
 */
export function withHeaderRoom(data: Buffer): Buffer {
  if (hasHeaderRoom(data)) roomy.add(data.buffer);
  return data;
}

// The bytes end their buffer and the room before them is all the buffer holds besides: the value is the whole buffer.
const hasHeaderRoom = (data: Buffer): boolean => data.byteOffset === SMALL_FILE_ROOM && data.buffer.byteLength === SMALL_FILE_ROOM + data.length;

/** What a `file:` record stores for `m`: a small file in the binary form, anything else as the manifest itself. */
export function manifestValue(m: Manifest): unknown {
  if (m.type === 'link' || m.data === undefined) return m;
  if (hasHeaderRoom(m.data) && roomy.delete(m.data.buffer)) {
    // Once: the value then owns the buffer, and another header written there would change it.
    const out = Buffer.from(m.data.buffer, 0, SMALL_FILE_HEADER + m.data.length);
    writeSmallFileHeader(out, m);
    return out;
  }
  // Not from Buffer's shared pool: the value is kept, and a pool per few small files cost more than the copy.
  const out = Buffer.allocUnsafeSlow(SMALL_FILE_HEADER + m.data.length);
  writeSmallFileHeader(out, m);
  m.data.copy(out, SMALL_FILE_HEADER);
  return out;
}

function writeSmallFileHeader(out: Buffer, m: FileManifest): void {
  out[0] = SMALL_FILE_FORMAT;
  out.writeUInt16BE(m.mode, 1);
  out.writeDoubleBE(m.mtimeMs, 3);
}

/**
 * `m` as JSON (a small file's bytes in base64 `data`): the form of a losing
 * version kept in a record's `conflicts`, which sync frames carry as JSON.
 */
export function manifestJson(m: Manifest): unknown {
  return m.type === 'file' && m.data !== undefined ? { ...m, data: m.data.toString('base64') } : m;
}

function smallFileProblem(value: Uint8Array): string | undefined {
  if (value.length < SMALL_FILE_HEADER) return `(binary): ${value.length} bytes, shorter than the ${SMALL_FILE_HEADER}-byte header`;
  if (value[0] !== SMALL_FILE_FORMAT) return `(binary): format ${value[0]} is not ${SMALL_FILE_FORMAT}`;
  const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (view.readUInt16BE(1) > 0o7777) return 'mode: must be an integer from 0 to 0o7777';
  return Number.isSafeInteger(view.readDoubleBE(3)) ? undefined : 'mtimeMs: must be an integer';
}

/**
 * Validates a manifest from a peer or the journal, in either form (binary
 * small file, or JSON: a JSON small file carries its bytes in base64 `data`);
 * `INVALID_ARGUMENT` naming the key and the problem.
 */
export function parseManifest(value: unknown, key: string): Manifest {
  const problem = value instanceof Uint8Array ? smallFileProblem(value) : manifestProblem(value);
  if (problem !== undefined) throw new MeridianError('INVALID_ARGUMENT', `record "${key}" is not a file manifest: ${problem}`, { details: { field: key } });
  if (value instanceof Uint8Array) {
    const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return { type: 'file', mode: view.readUInt16BE(1), mtimeMs: view.readDoubleBE(3), size: value.length - SMALL_FILE_HEADER, data: view.subarray(SMALL_FILE_HEADER) };
  }
  const m = value as Manifest & { data?: unknown };
  return typeof m.data === 'string' ? { ...(m as FileManifest), data: Buffer.from(m.data, 'base64') } : (m as Manifest);
}

/** True when two manifests describe the same bytes, mode, mtime and link target (the etag-free comparison). */
export function sameManifest(a: Manifest, b: Manifest): boolean {
  if (a.type === 'link' || b.type === 'link') return sameContent(a, b) && a.mtimeMs === b.mtimeMs;
  return sameContent(a, b) && a.mode === b.mode && a.mtimeMs === b.mtimeMs;
}

/** Same bytes (whatever the mode and mtime). */
export function sameContent(a: Manifest, b: Manifest): boolean {
  if (a.type === 'link' || b.type === 'link') return a.type === 'link' && b.type === 'link' && a.target === b.target;
  if (a.size !== b.size || a.chunks !== b.chunks || a.pieces !== b.pieces) return false;
  return a.data === undefined || b.data === undefined ? a.data === b.data : a.data.equals(b.data);
}

/** The chunk entries listed directly by a manifest (its chunks, or its index pieces). */
export function listedEntries(m: FileManifest): ChunkEntry[] {
  const packedText = m.chunks ?? m.pieces;
  return packedText === undefined ? [] : unpackEntries(Buffer.from(packedText, 'base64'))!;
}
