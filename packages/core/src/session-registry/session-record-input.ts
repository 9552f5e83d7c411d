import { MeridianError } from '../errors/meridian-error.js';
import type { SessionRecord, SessionRegistryListOptions, SessionRegistryPage, SessionRegistryPutOptions } from '../contracts/session-registry.js';
import { REGION_ID_PATTERN } from '../regions/region.js';

/** Session ids every registry accepts (the migrator's own rule). */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const STATES = new Set(['active', 'migrating', 'suspended', 'lost']);
const MAX_LIST_LIMIT = 10_000;

function invalid(field: string, value: unknown, why: string): MeridianError {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 140 ? `${value.slice(0, 140)}…` : value) : String(value);
  return new MeridianError('INVALID_ARGUMENT', `Invalid session record ${field} ${shown}: ${why}`, { details: { field } });
}

// A region is a Region's id: the same rule as everywhere else, so a registry can use it in key names as is
// (any string used to pass here, including ones a UTF-8 store cannot keep, such as a lone surrogate).
function checkRegion(region: unknown): void {
  if (typeof region !== 'string' || !REGION_ID_PATTERN.test(region)) throw invalid('region', region, `must be a region id (${REGION_ID_PATTERN.source})`);
}

/** Checks a session id (`INVALID_ARGUMENT` naming it). */
export function checkSessionId(id: unknown, field = 'id'): asserts id is string {
  if (typeof id !== 'string' || !SESSION_ID_PATTERN.test(id)) throw invalid(field, id, `must match ${SESSION_ID_PATTERN.source}`);
}

/**
 * The checks every `SessionRegistry` makes before writing, so the
 * implementations refuse the same records with the same messages.
 * @returns a copy holding only the record's fields.
 */
export function checkSessionRecord(record: SessionRecord): SessionRecord {
  if (record === null || typeof record !== 'object') throw invalid('', record, 'must be an object');
  checkSessionId(record.id);
  checkRegion(record.region);
  if (!STATES.has(record.state)) throw invalid('state', record.state, 'must be active, migrating, suspended or lost');
  if (!Number.isSafeInteger(record.epoch) || record.epoch < 0) throw invalid('epoch', record.epoch, 'must be an integer >= 0');
  if (!Number.isSafeInteger(record.migrations) || record.migrations < 0) throw invalid('migrations', record.migrations, 'must be an integer >= 0');
  if (!Number.isFinite(record.updatedAt)) throw invalid('updatedAt', record.updatedAt, 'must be a finite number (epoch ms)');
  if (record.metadata === null || typeof record.metadata !== 'object' || Array.isArray(record.metadata)) throw invalid('metadata', record.metadata, 'must be an object of strings');
  for (const [key, value] of Object.entries(record.metadata)) if (typeof value !== 'string') throw invalid(`metadata.${key}`, value, 'must be a string');
  if (record.pendingSnapshot !== undefined && (typeof record.pendingSnapshot !== 'string' || record.pendingSnapshot.length === 0)) throw invalid('pendingSnapshot', record.pendingSnapshot, 'must be a snapshot key');
  return {
    id: record.id,
    region: record.region,
    state: record.state,
    epoch: record.epoch,
    metadata: { ...record.metadata },
    migrations: record.migrations,
    ...(record.pendingSnapshot === undefined ? {} : { pendingSnapshot: record.pendingSnapshot }),
    updatedAt: record.updatedAt,
  };
}

/** Checks put conditions. */
export function checkPutOptions(options: SessionRegistryPutOptions): void {
  if (options.expectedEpoch !== undefined && (!Number.isSafeInteger(options.expectedEpoch) || options.expectedEpoch < 0)) throw invalid('expectedEpoch', options.expectedEpoch, 'must be an integer >= 0');
  if (options.ifAbsent !== undefined && typeof options.ifAbsent !== 'boolean') throw invalid('ifAbsent', options.ifAbsent, 'must be a boolean');
  if (options.ifAbsent && options.expectedEpoch !== undefined) throw invalid('ifAbsent', true, 'cannot be combined with expectedEpoch');
}

/** Checks list options; returns the page size. */
export function checkListOptions(options: SessionRegistryListOptions): number {
  const limit = options.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw invalid('limit', limit, `must be an integer from 1 to ${MAX_LIST_LIMIT}`);
  if (options.after !== undefined) checkSessionId(options.after, 'after');
  if (options.region !== undefined) checkRegion(options.region);
  return limit;
}

/**
 * Why a conditional put is refused, or undefined when it may go ahead: the one
 * rule set every registry applies to the stored record (undefined: none).
 */
export function putConflict(stored: Pick<SessionRecord, 'epoch'> | undefined, record: SessionRecord, options: SessionRegistryPutOptions): string | undefined {
  if (options.ifAbsent && stored) return `session "${record.id}" is already registered`;
  if (options.expectedEpoch !== undefined) {
    if (!stored) return `session "${record.id}" is not registered (expected epoch ${options.expectedEpoch})`;
    if (stored.epoch !== options.expectedEpoch) return `session "${record.id}" is at epoch ${stored.epoch}, not ${options.expectedEpoch}`;
  }
  if (stored && record.epoch < stored.epoch) return `session "${record.id}" is at epoch ${stored.epoch}; epoch ${record.epoch} is stale (fenced)`;
  return undefined;
}

/** The PRECONDITION_FAILED error of a refused put. */
export function putRefused(id: string, why: string): MeridianError {
  return new MeridianError('PRECONDITION_FAILED', `Session registry refused the write: ${why}`, { details: { key: id } });
}

/**
 * One page of `list` for a registry that lists ids, then reads records: ids
 * after `options.after` in id order, the records `read` gives (undefined: gone
 * since the listing), of `options.region` when given, at most `limit`, with
 * `next` when more follow.
 */
export async function pageOfRecords(ids: Iterable<string>, options: SessionRegistryListOptions, limit: number, read: (id: string) => SessionRecord | undefined | Promise<SessionRecord | undefined>): Promise<SessionRegistryPage> {
  const sorted = [...ids].filter((id) => options.after === undefined || id > options.after).sort();
  const records: SessionRecord[] = [];
  let last: string | undefined;
  for (const id of sorted) {
    const record = await read(id);
    if (!record || (options.region !== undefined && record.region !== options.region)) continue;
    if (records.length === limit) return { records, next: last! };
    records.push(record);
    last = id;
  }
  return { records };
}

/**
 * A stored record read back (its text) and checked as a put checks it, for
 * registries that store records as JSON: text that is not JSON, not a
 * record, or a record of another id is the error `corrupt` makes of why.
 */
export function decodeStoredRecord(text: string, id: string, corrupt: (why: string, cause?: unknown) => MeridianError): SessionRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw corrupt('the stored record is not valid JSON', cause);
  }
  let record: SessionRecord;
  try {
    record = checkSessionRecord(parsed as SessionRecord);
  } catch (cause) {
    throw corrupt(`the stored value is not a session record (${(cause as Error).message})`, cause);
  }
  if (record.id !== id) throw corrupt(`the stored record is for session "${record.id}"`);
  return record;
}
