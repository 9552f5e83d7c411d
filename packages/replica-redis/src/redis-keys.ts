/**
 * The Redis keys of one store, all under its prefix `P`:
 *
 * - `P:seq`: the change counter (`INCR` on every write and purge)
 * - `P:records`: hash, key → stored record JSON (with `seq` and `etag`)
 * - `P:origin`: hash, key → origin of its current record
 * - `P:log`, `P:log:<origin>`: sorted sets, key scored by its current `seq` (scan)
 * - `P:leaf:<hex>`: hash per storage leaf of the anti-entropy tree, key → `"<keyHash> <etag>"`
 * - `P:digests`: hash, whole-digit node → cached tree summary `"<fingerprint>:<count>"` (cleared along a written key's path)
 */
export interface RedisKeys {
  readonly prefix: string;
  readonly seq: string;
  readonly records: string;
  readonly origins: string;
  readonly log: string;
  readonly digests: string;
}

/** The keys of the store under `prefix`. */
export function redisKeys(prefix: string): RedisKeys {
  return {
    prefix,
    seq: `${prefix}:seq`,
    records: `${prefix}:records`,
    origins: `${prefix}:origin`,
    log: `${prefix}:log`,
    digests: `${prefix}:digests`,
  };
}

/** The change log of one origin (`scan({ origin })`). */
export function originLog(keys: RedisKeys, origin: string): string {
  return `${keys.log}:${origin}`;
}
