import type { ReplicaRecord, ReplicaVersion, StoredRecord } from '../contracts/replica-store.js';
import { isHlc } from './hlc.js';

// The record schema's rules (replica-record.ts), checked by hand: zod builds a result and an issue list for
// every record, and a sync checks every record it receives, so for 20 000 records that was about 20 ms.
// These functions only ever accept what the schema accepts. They answer `false` / `undefined` for anything
// else, including shapes that are fine but unusual (a vector with a `__proto__` key or symbol keys, a
// null-prototype object): the caller then asks the schema, which decides and names the problem.

const ETAG = /^[0-9a-f]{40}$/;

// z.object's test: any non-null object that is not an array (the schema reads the fields it knows).
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const isRegion = (value: unknown): value is string => typeof value === 'string' && value.length >= 1 && value.length <= 256;

function isVersion(v: Record<string, unknown>): boolean {
  return typeof v.deleted === 'boolean' && isHlc(v.version) && isRegion(v.origin);
}

// z.record(region, hlc) on a plain object with only ordinary string keys; anything else is left to the schema.
function isVector(vv: unknown): vv is Record<string, string> {
  if (typeof vv !== 'object' || vv === null || Object.getPrototypeOf(vv) !== Object.prototype || (vv as { constructor?: unknown }).constructor !== Object) return false;
  if (Object.getOwnPropertySymbols(vv).length > 0) return false;
  for (const region of Object.keys(vv)) {
    if (region === '__proto__' || !isRegion(region) || !isHlc((vv as Record<string, unknown>)[region])) return false;
  }
  return true;
}

function isConflictList(list: unknown): list is ReplicaVersion[] | undefined {
  if (list === undefined) return true;
  if (!Array.isArray(list)) return false;
  for (let i = 0; i < list.length; i++) {
    const item: unknown = list[i];
    if (!isObject(item) || !isVersion(item)) return false;
  }
  return true;
}

/** True when the record schema accepts `input` (false: ask the schema, it may still accept it, and it names the problem). */
export function isRecordShape(input: unknown): input is ReplicaRecord {
  return isObject(input) && isVersion(input) && typeof input.key === 'string' && input.key.length >= 1 && isVector(input.vv) && isConflictList(input.conflicts);
}

/**
 * The stored-record schema's result for `input` (a new object with the
 * schema's fields only, in its order, sharing the value as it does), or
 * undefined when the check by hand does not accept it: ask the schema then.
 */
export function copyStoredRecord(input: unknown): StoredRecord | undefined {
  if (!isRecordShape(input)) return undefined;
  const { seq, etag } = input as Partial<StoredRecord>;
  if (!Number.isSafeInteger(seq) || (seq as number) < 0 || typeof etag !== 'string' || !ETAG.test(etag)) return undefined;
  const out = copyVersion(input) as StoredRecord;
  out.key = input.key;
  const vv: Record<string, string> = {};
  for (const region of Object.keys(input.vv)) vv[region] = input.vv[region]!;
  out.vv = vv;
  // Like the schema: an optional field is in the result when it is in the input, even as undefined.
  if (input.conflicts !== undefined || 'conflicts' in input) out.conflicts = input.conflicts?.map(copyVersion);
  out.seq = seq as number;
  out.etag = etag;
  return out;
}

function copyVersion(v: ReplicaVersion): ReplicaVersion {
  const out = {} as ReplicaVersion;
  if (v.value !== undefined || 'value' in v) out.value = v.value;
  out.deleted = v.deleted;
  out.version = v.version;
  out.origin = v.origin;
  return out;
}
