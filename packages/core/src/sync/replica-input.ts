import type { ReplicaWrite, ScanOptions } from '../contracts/replica-store.js';
import { MeridianError } from '../errors/meridian-error.js';
import { checkKey, checkRecord } from './replica-record.js';

const ETAG = /^[0-9a-f]{40}$/;
const invalid = (message: string): MeridianError => new MeridianError('INVALID_ARGUMENT', message);

/**
 * Checks a whole `apply` batch before anything is written, so a bad batch
 * writes nothing; `INVALID_ARGUMENT` naming the write and the field. Every
 * ReplicaStore adapter calls it at its edge.
 */
export function checkWrites(writes: readonly ReplicaWrite[]): void {
  if (!Array.isArray(writes)) throw invalid('writes must be an array');
  writes.forEach((w, i) => {
    checkKey(w?.key, `writes[${i}].key`);
    if (w.expected !== null && (typeof w.expected !== 'string' || !ETAG.test(w.expected))) {
      throw invalid(`writes[${i}].expected must be an etag (40 hex digits) or null`);
    }
    if (w.record !== null) {
      checkRecord(w.record, `writes[${i}].record`);
      if (w.record.key !== w.key) throw invalid(`writes[${i}]: record.key "${w.record.key}" differs from key "${w.key}"`);
    }
  });
}

/** Checks the keys of `getMany`. */
export function checkKeys(keys: readonly string[]): void {
  if (!Array.isArray(keys)) throw invalid('keys must be an array of strings');
  keys.forEach((key, i) => checkKey(key, `keys[${i}]`));
}

/** Checks the options of `scan`: any safe integer cursor, a positive limit, an optional origin. */
export function checkScan(options: ScanOptions): void {
  const { since, origin, limit } = options ?? ({} as ScanOptions);
  if (!Number.isSafeInteger(since) || since < 0) throw invalid(`scan since must be a non-negative integer, got ${String(since)}`);
  if (!Number.isSafeInteger(limit) || limit < 1) throw invalid(`scan limit must be a positive integer, got ${String(limit)}`);
  if (origin !== undefined && (typeof origin !== 'string' || origin.length === 0 || origin.length > 256)) {
    throw invalid(`scan origin must be a region id of 1 to 256 characters, got ${JSON.stringify(origin)}`);
  }
}
