import { announcedLength, damagedRecordKey, decodeRecord, type DecodedRecord } from './segment-record.js';

/** A record found whole, at its offset. */
export interface ScannedRecord extends DecodedRecord {
  offset: number;
}

/** Bytes that are no record: a damaged one (key when its header still names one). */
export interface DamagedRange {
  offset: number;
  length: number;
  key?: string;
}

/** What a segment's bytes hold. */
export interface SegmentScan {
  records: ScannedRecord[];
  /** Damaged bytes followed by whole records: corruption, never a crash (appends are sequential). */
  damaged: DamagedRange[];
  /** Where the whole records end; bytes after it are a tail with no whole record in it. */
  validEnd: number;
}

/**
 * Reads every record of a segment. A bad record (checksum, lengths, magic) is
 * followed either by a whole record further on — corruption in the middle,
 * reported in `damaged` and skipped — or by nothing whole up to the end: the
 * tail, which `validEnd` excludes. Whether a tail is a crash mid-append (the
 * active segment: truncate it) or corruption (a closed segment, synced whole
 * before the next one began) is the caller's call.
 */
export function scanSegment(buffer: Buffer): SegmentScan {
  const records: ScannedRecord[] = [];
  const damaged: DamagedRange[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const record = decodeRecord(buffer, offset);
    if (record) {
      records.push({ ...record, offset });
      offset += record.length;
      continue;
    }
    const next = nextRecord(buffer, offset);
    if (next === undefined) return { records, damaged, validEnd: offset };
    const key = damagedRecordKey(buffer, offset);
    damaged.push({ offset, length: next - offset, ...(key === undefined ? {} : { key }) });
    offset = next;
  }
  return { records, damaged, validEnd: offset };
}

/**
 * Where the next whole record after a bad one at `offset` starts. First where
 * the bad header says it ends (a flipped value byte), then any later offset
 * (a flipped length). Values are encrypted snapshots, so a whole record inside
 * one is not a practical worry.
 */
function nextRecord(buffer: Buffer, offset: number): number | undefined {
  const length = announcedLength(buffer, offset);
  if (length !== undefined && offset + length < buffer.length && decodeRecord(buffer, offset + length)) return offset + length;
  for (let at = buffer.indexOf('MSG1', offset + 1, 'latin1'); at !== -1; at = buffer.indexOf('MSG1', at + 1, 'latin1')) {
    if (decodeRecord(buffer, at)) return at;
  }
  return undefined;
}
