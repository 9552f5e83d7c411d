import { z } from 'zod';
import { hasMethods, parseOptions } from '@meridian/core/spi';
import type { Clock } from '@meridian/core';

const chunkSizesSchema = z
  .object({
    minBytes: z.number().int().min(256).default(4096),
    avgBytes: z.number().int().min(512).default(16_384),
    maxBytes: z.number().int().min(1024).max(131_072).default(65_536),
  })
  .strict()
  .refine((s) => s.minBytes < s.avgBytes && s.avgBytes < s.maxBytes, 'needs minBytes < avgBytes < maxBytes');

const schema = z
  .object({
    regionId: z.string().min(1).max(256),
    dataPath: z.string().min(1),
    stateDirectory: z.string().min(1).optional(),
    ignore: z.array(z.string()).default([]),
    chunkSizes: chunkSizesSchema.prefault({}),
    inlineMaxBytes: z.number().int().min(0).max(65_536).default(16_384),
    readAttempts: z.number().int().min(1).max(100).default(5),
    durable: z.boolean().default(true),
    ioThreads: z.number().int().min(1).max(16).default(2),
    maxClockSkewMillis: z.number().int().min(0).default(5000),
    clock: z.custom<Clock>((v) => hasMethods(v, ['now', 'setTimeout']), 'must be a Clock (with now, setTimeout)').optional(),
  })
  .strict();

/** Content-defined chunk sizes in bytes; every region must use the same. */
export interface ChunkSizeOptions {
  /** No cut before this many bytes. Default 4096. */
  minBytes?: number;
  /** The size chunks cluster around (rounded to a power of two for the cut masks). Default 16384. */
  avgBytes?: number;
  /** A cut at this size at the latest; at most 131072 (a chunk travels as one record). Default 65536. */
  maxBytes?: number;
}

/** Options of {@link DirectoryReplicaStore.open}. Defaults are given per option. */
export interface DirectoryReplicaStoreOptions {
  /** The region this directory belongs to: the origin of the versions its scans write. */
  regionId: string;
  /** The directory to sync; it must exist and be a directory. */
  dataPath: string;
  /** Where the store keeps its records and staged chunks. Default `<dataPath>/.meridian-sync` (never synced). */
  stateDirectory?: string;
  /** gitignore-like patterns of paths not synced (see the docs page "Directory sync"). Default none. */
  ignore?: string[];
  /** Content-defined chunk sizes. Defaults 4096 / 16384 / 65536; every region must use the same, or they share no chunks. */
  chunkSizes?: ChunkSizeOptions;
  /** Files up to this size travel inside their record, without chunks. Default 16384. */
  inlineMaxBytes?: number;
  /** Reads of a file caught changing before `PRECONDITION_FAILED`. Default 5. */
  readAttempts?: number;
  /** fsync files before they are renamed into place, and the store's records. Default true. */
  durable?: boolean;
  /**
   * Threads that do the directory's file-system work side by side (reading and writing files). Creating a file
   * is latency-bound, so two threads wrote 10 000 small files in about half the time of one; a network mount
   * may gain from more. Default 2.
   */
  ioThreads?: number;
  /** Remote versions stamped further ahead than this do not move this store's clock. Default 5000. */
  maxClockSkewMillis?: number;
  /** Time source of the versions. Default the system clock. */
  clock?: Clock;
}

/** @internal */
export type ResolvedDirectoryOptions = z.output<typeof schema>;

/** @internal Validates options once at the edge: `INVALID_CONFIG` naming the path and value. */
export function parseDirectoryOptions(options: DirectoryReplicaStoreOptions): ResolvedDirectoryOptions {
  return parseOptions(schema, options, 'DirectoryReplicaStore options');
}
