/**
 * The Redis keys of one `RedisSessionRegistry`, all under its prefix `P`:
 *
 * - `P:sess:<id>`: string, the record as JSON, beginning `{"epoch":<n>,"region":"<region>",`
 * - `P:sess-ids`: sorted set of every id, all scores 0, so `ZRANGEBYLEX` pages in byte order
 *   (JavaScript's string order for ids, which are ASCII)
 * - `P:sess-region:<region>`: sorted set of the ids in one region, the same way
 *
 * A set per region rather than a filter over `P:sess-ids`: a page of a small
 * region then reads only that region's records, at the cost of one `ZREM` and
 * one `ZADD` when a record moves, inside the same atomic script. Region ids
 * match `REGION_ID_PATTERN`, so they are used in key names as they are.
 */
export interface SessionRegistryKeys {
  readonly prefix: string;
  /** `P:sess-ids`. */
  readonly ids: string;
  /** `P:sess:`, followed by an id. */
  readonly recordPrefix: string;
  /** `P:sess-region:`, followed by a region id. */
  readonly regionPrefix: string;
}

/** The keys of the registry under `prefix`. */
export function sessionRegistryKeys(prefix: string): SessionRegistryKeys {
  return { prefix, ids: `${prefix}:sess-ids`, recordPrefix: `${prefix}:sess:`, regionPrefix: `${prefix}:sess-region:` };
}

/** The key of one record. */
export function recordKey(keys: SessionRegistryKeys, id: string): string {
  return keys.recordPrefix + id;
}

/** The index of one region. */
export function regionIndex(keys: SessionRegistryKeys, region: string): string {
  return keys.regionPrefix + region;
}
