import { hash } from 'node:crypto';
import { z } from 'zod';
import { MeridianError } from '../errors/meridian-error.js';
import type { ReplicaRecord, ReplicaVersion, StoredRecord } from '../contracts/replica-store.js';
import { isHlc } from './hlc.js';
import { copyStoredRecord, isRecordShape } from './record-guard.js';
import { sortedView, sortKeys } from './version-vector.js';

/** Longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
// Control characters would break line-based digests and logs.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Throws `INVALID_ARGUMENT` naming the problem unless `key` is a usable replica key. */
export function checkKey(key: unknown, where = 'key'): asserts key is string {
  if (typeof key !== 'string') {
    throw new MeridianError('INVALID_ARGUMENT', `${where} must be a string, got ${key === null ? 'null' : typeof key}`);
  }
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes === 0 || bytes > MAX_KEY_BYTES) {
    throw new MeridianError('INVALID_ARGUMENT', `${where} must be 1 to ${MAX_KEY_BYTES} UTF-8 bytes, got ${bytes}`);
  }
  if (CONTROL.test(key)) throw new MeridianError('INVALID_ARGUMENT', `${where} ${JSON.stringify(key.slice(0, 80))} contains a control character`);
}

/** SHA-1 hex of the key's UTF-8 bytes: where the key sits in the Merkle tree. */
export function keyHash(key: string): string {
  return hash('sha1', key);
}

function versionLine(v: ReplicaVersion): string {
  return `${v.version}${v.deleted ? '-' : '+'}`;
}

/**
 * The record's identity as one hex digest: key, version, vector, tombstone
 * flag and pending conflict versions. Two regions holding records with the same
 * etag hold the same thing; compare-and-set and Merkle leaves use it.
 */
export function recordEtag(record: ReplicaRecord): string {
  const conflicts = record.conflicts?.length ? record.conflicts.map(versionLine).sort().join(',') : '';
  const header = JSON.stringify([record.key, versionLine(record), record.origin, sortedView(record.vv), conflicts]);
  return hash('sha1', header);
}

/** Serialized size of a value in bytes (what the size limit counts); a binary value counts its bytes. */
export function valueBytes(value: unknown): number {
  if (value instanceof Uint8Array) return value.length;
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Throws `INVALID_ARGUMENT` when `value` cannot be stored as JSON (functions,
 * bigint, cycles, undefined) and `VALUE_TOO_LARGE` when it is over `maxBytes`.
 */
export function checkValue(key: string, value: unknown, maxBytes: number): void {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new MeridianError('INVALID_ARGUMENT', `value of "${key}" is not JSON-serializable: ${(cause as Error).message}`, { cause });
  }
  if (text === undefined) throw new MeridianError('INVALID_ARGUMENT', `value of "${key}" is not JSON-serializable (got ${typeof value})`);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new MeridianError('VALUE_TOO_LARGE', `value of "${key}" is ${bytes} bytes, over the limit of ${maxBytes} (maxValueBytes)`, {
      details: { key, bytes, maxValueBytes: maxBytes },
    });
  }
}

// The rules of a record. record-guard.ts checks the same rules by hand on the hot paths (every record a sync
// receives or a store is given) and comes here only for what it does not accept: this schema then decides,
// and its first issue is the message.
const hlc = z.string().refine(isHlc, 'not an HLC timestamp');
const region = z.string().min(1).max(256);
const versionSchema = z.object({ value: z.unknown().optional(), deleted: z.boolean(), version: hlc, origin: region });
/** @internal The record schema (exported for the tests that hold record-guard.ts to it). */
export const recordSchema = versionSchema.extend({
  key: z.string().min(1),
  vv: z.record(region, hlc),
  conflicts: z.array(versionSchema).optional(),
});
/** @internal The stored-record schema (exported for the tests that hold record-guard.ts to it). */
export const storedSchema = recordSchema.extend({ seq: z.number().int().nonnegative(), etag: z.string().regex(/^[0-9a-f]{40}$/) });

/**
 * Validates a record that came from a store or a peer; a malformed one is a
 * `SYNC_PROTOCOL_ERROR` naming the first problem (it is never applied).
 */
export function parseStoredRecord(input: unknown, source: string): StoredRecord {
  const checked = copyStoredRecord(input);
  if (checked) return checked;
  const result = storedSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new MeridianError('SYNC_PROTOCOL_ERROR', `${source} returned a malformed record: ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  }
  return result.data as StoredRecord;
}

/** Validates a record given to a store's `apply`; `INVALID_ARGUMENT` naming the problem. */
export function checkRecord(input: unknown, where: string): asserts input is ReplicaRecord {
  if (isRecordShape(input)) {
    checkKey(input.key, `${where}.key`);
    return;
  }
  const result = recordSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new MeridianError('INVALID_ARGUMENT', `${where}: ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  }
  if (!input || typeof input !== 'object' || !('key' in input)) return;
  checkKey((input as ReplicaRecord).key, `${where}.key`);
}

/** Copies a record, dropping store fields (seq, etag) and empty conflict lists. */
export function toRecord(stored: ReplicaRecord): ReplicaRecord {
  const out: ReplicaRecord = { key: stored.key, deleted: stored.deleted, version: stored.version, origin: stored.origin, vv: sortKeys(stored.vv) };
  if (!stored.deleted) out.value = stored.value;
  if (stored.conflicts && stored.conflicts.length > 0) out.conflicts = stored.conflicts.map((c) => ({ ...c }));
  return out;
}
