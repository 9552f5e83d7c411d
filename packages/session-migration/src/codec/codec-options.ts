import { z } from 'zod';

/** @internal */
export const codecOptionsSchema = z
  .object({
    keys: z
      .array(
        z
          .object({
            id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must match ^[A-Za-z0-9._-]{1,64}$'),
            key: z.custom<Buffer>((v) => Buffer.isBuffer(v) && v.length === 32, 'must be a 32-byte Buffer (AES-256)'),
          })
          .strict(),
      )
      .min(1, 'at least one key is required'),
    activeKeyId: z.string().min(1).optional(),
    maxBytes: z.number().int().positive().max(1024 * 1024 * 1024).default(8 * 1024 * 1024),
    compressAboveBytes: z.number().int().min(0).default(1024),
    brotliAboveBytes: z.number().int().min(0).default(256 * 1024),
    compressionLevel: z.number().int().min(1).max(9).default(3),
  })
  .strict();

/** One encryption key. Keep old keys listed until no snapshot encrypted with them remains. */
export interface SnapshotKey {
  /** Key id written in each snapshot's header, e.g. `2026-11`. */
  id: string;
  /** 32 random bytes (AES-256). Load it from your secret store; it never appears in errors or logs. */
  key: Buffer;
}

/** Options of {@link SnapshotCodec}. */
export interface SnapshotCodecOptions {
  /** Keys that can decrypt; the active one also encrypts. */
  keys: SnapshotKey[];
  /** Key used to encrypt new snapshots. Default the first of `keys`. */
  activeKeyId?: string;
  /** Largest snapshot, encoded and decoded (uncompressed). Default 8 MiB. */
  maxBytes?: number;
  /** Payloads larger than this are compressed (deflate). Default 1024. */
  compressAboveBytes?: number;
  /** Payloads larger than this use brotli instead (slower, smaller). Default 262144. */
  brotliAboveBytes?: number;
  /**
   * Deflate level, 1 (fastest) to 9 (smallest). Default 3: about a third of the
   * CPU of zlib's usual 6 for snapshots 2–8 % larger (measured on 34–64 KB JSON
   * states; see docs/benchmarks.md). Any level decodes the same way, so it can
   * change at any time: snapshots already stored stay readable.
   */
  compressionLevel?: number;
}
