import { packEntries, sha256Hex, unpackEntries, type ChunkEntry } from './chunk-entry.js';
import type { ChunkLocator } from './chunk-locator.js';
import type { FileStat } from './disk-protocol.js';
import { listedEntries, type FileManifest, type Manifest } from './file-manifest.js';

// A manifest lists at most this many chunks itself; a larger file lists index pieces of this many entries
// (9 KiB each), so a one-chunk edit re-sends one piece and a short manifest, not a list of every chunk.
const ENTRIES_PER_PIECE = 256;

/** The manifest of a file as read: its bytes when inlined, its chunks, or index pieces (staged here) for a large file. */
export async function manifestOf(info: FileStat, chunks: ChunkEntry[], inline: Buffer | undefined, locator: ChunkLocator): Promise<FileManifest> {
  const base = { type: 'file' as const, mode: info.mode & 0o7777, mtimeMs: Math.round(info.mtimeMs), size: info.size };
  // Spelled out, not spread: this object is what the tree's state keeps for each small file, and a spread made a
  // larger one (2.3 MB more heap for 10 000 files).
  if (inline) return { type: 'file', mode: base.mode, mtimeMs: base.mtimeMs, size: base.size, data: inline };
  if (chunks.length <= ENTRIES_PER_PIECE) return { ...base, chunks: packEntries(chunks).toString('base64') };
  const pieces: ChunkEntry[] = [];
  const staging: Array<{ hash: string; data: Buffer }> = [];
  for (let i = 0; i < chunks.length; i += ENTRIES_PER_PIECE) {
    const data = packEntries(chunks.slice(i, i + ENTRIES_PER_PIECE));
    const hash = sha256Hex(data);
    if (!locator.has(hash)) staging.push({ hash, data });
    pieces.push({ hash, size: data.length });
  }
  await locator.stage(staging);
  return { ...base, pieces: packEntries(pieces).toString('base64') };
}

/** A manifest's chunks in order, or undefined while some (or an index piece) are not here. */
export function resolveChunks(manifest: Manifest, locator: ChunkLocator): ChunkEntry[] | undefined {
  if (manifest.type === 'link') return [];
  const chunks = listChunks(manifest, (hash) => (locator.has(hash) ? locator.read(hash) : undefined));
  return chunks?.every((c) => locator.has(c.hash)) ? chunks : undefined;
}

/** A manifest's chunk list (whether or not the chunks are here), or undefined while an index piece is not readable. */
export function listChunks(manifest: FileManifest, read: (hash: string) => Buffer | undefined): ChunkEntry[] | undefined {
  if (manifest.data !== undefined) return [];
  const listed = listedEntries(manifest);
  if (manifest.chunks !== undefined) return listed;
  const chunks: ChunkEntry[] = [];
  for (const piece of listed) {
    const bytes = read(piece.hash);
    const entries = bytes && unpackEntries(bytes);
    if (!entries) return undefined;
    chunks.push(...entries);
  }
  return chunks;
}

/** A chunk record's bytes: binary (as sync frames carry it), or base64 in `data` (as a JSON-only transport would). */
export function chunkBytes(value: unknown): Buffer | undefined {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const data = (value as { data?: unknown } | undefined)?.data;
  return typeof data === 'string' ? Buffer.from(data, 'base64') : undefined;
}
