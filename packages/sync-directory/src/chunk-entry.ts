import { createHash } from 'node:crypto';

/** One chunk of a file: SHA-256 of its bytes (hex) and its length. */
export interface ChunkEntry {
  hash: string;
  size: number;
}

/** Bytes of one packed entry: 32 of hash, 4 of size (big-endian). */
export const PACKED_ENTRY_BYTES = 36;

/** SHA-256 of bytes, lower-case hex: a chunk's name. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Packs entries as 36-byte records: a third of their JSON size, so large files keep small manifests. */
export function packEntries(entries: readonly ChunkEntry[]): Buffer {
  const out = Buffer.alloc(entries.length * PACKED_ENTRY_BYTES);
  entries.forEach((e, i) => {
    out.write(e.hash, i * PACKED_ENTRY_BYTES, 32, 'hex');
    out.writeUInt32BE(e.size, i * PACKED_ENTRY_BYTES + 32);
  });
  return out;
}

/** Reverses {@link packEntries}; undefined when the bytes are not whole entries. */
export function unpackEntries(data: Buffer): ChunkEntry[] | undefined {
  if (data.length % PACKED_ENTRY_BYTES !== 0) return undefined;
  const out: ChunkEntry[] = [];
  for (let at = 0; at < data.length; at += PACKED_ENTRY_BYTES) {
    out.push({ hash: data.toString('hex', at, at + 32), size: data.readUInt32BE(at + 32) });
  }
  return out;
}
