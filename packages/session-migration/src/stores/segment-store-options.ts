import { z } from 'zod';

/** @internal */
export const segmentStoreOptionsSchema = z
  .object({
    directory: z.string().min(1, 'must be a non-empty path'),
    segmentBytes: z.number().int().min(4096).max(1024 * 1024 * 1024).default(64 * 1024 * 1024),
    compactionThresholdBytes: z.number().int().min(1).default(64 * 1024 * 1024),
    autoCompact: z.boolean().default(true),
    maxRecordsPerWrite: z.number().int().min(1).max(1024).default(512),
  })
  .strict();

/** Options of {@link SegmentSnapshotStore.open}. */
export interface SegmentSnapshotStoreOptions {
  /** The store's directory, created if missing. One process owns it at a time (a lock file). */
  directory: string;
  /**
   * A segment is closed and a new one started once it would grow past this.
   * Default 64 MiB. A record larger than this gets a segment of its own.
   */
  segmentBytes?: number;
  /**
   * Compaction runs once the closed segments hold more than this many bytes of
   * overwritten or deleted records. Default 64 MiB: disk use stays below about
   * live bytes + this + one segment.
   */
  compactionThresholdBytes?: number;
  /** Compact on its own when the threshold is passed (else only on `compact()`). Default true. */
  autoCompact?: boolean;
  /** Records appended by one `writev` at most (the group's size bound). Default 512. */
  maxRecordsPerWrite?: number;
}
