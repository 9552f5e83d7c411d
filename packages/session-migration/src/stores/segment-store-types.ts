import type { MeridianError } from '@meridian/core';

/** What `open` found and repaired. */
export interface SegmentStoreRecovery {
  /** Segment files read. */
  segments: number;
  /** Whole records replayed. */
  records: number;
  /** Bytes cut from the end of the last segment: an append a crash interrupted (never acknowledged). */
  truncatedBytes: number;
  /** Damaged records (corruption, not a crash); a `key` named there reads as SNAPSHOT_CORRUPT until rewritten. */
  damaged: Array<{
    /** Segment file name. */
    segment: string;
    /** Byte offset of the damaged record in it. */
    offset: number;
    /** Bytes it spans, up to the next whole record found. */
    length: number;
    /** Its key, when the key bytes themselves are intact (see the docs: a keyless entry may hide a newer version). */
    key?: string;
  }>;
}

/** Figures of a {@link SegmentSnapshotStore}. */
export interface SegmentStoreStatistics {
  /** Keys stored (corrupt ones included). */
  keys: number;
  /** Segment files. */
  segments: number;
  /** Bytes of records that are the current version of their key. */
  liveBytes: number;
  /** Bytes of overwritten and deleted records and tombstones, reclaimed by compaction. */
  deadBytes: number;
  /** Group commits (fdatasyncs of the written segments) started since open. */
  syncs: number;
  /** Compactions completed since open. */
  compactions: number;
  /** The last background compaction's failure, if the last one failed (the data is untouched). */
  lastCompactionError?: MeridianError;
}

/** What one compaction did. */
export interface CompactionResult {
  /** Segments copied and removed. */
  inputSegments: number;
  /** Segments written. */
  outputSegments: number;
  /** Records copied (the live ones). */
  records: number;
  /** Bytes freed on disk. */
  reclaimedBytes: number;
}
