/**
 * Where a registered session is in its life. `lost`: the region holding it died
 * and no checkpoint or snapshot of it could be restored; no region serves it.
 */
export type SessionState = 'active' | 'migrating' | 'suspended' | 'lost';

/** Which region a session is active in, as the control plane knows it. */
export interface SessionRecord {
  /** Session id, `^[A-Za-z0-9._:-]{1,128}$`. */
  id: string;
  /** Region it is active in (or was, while migrating, suspended or lost): a region id, `REGION_ID_PATTERN`. */
  region: string;
  /** Its state. */
  state: SessionState;
  /**
   * Fencing epoch, from 0 at registration: every activation in another region
   * takes the next one. A registry never lets it go down, so a control plane
   * working from an old view cannot move a session back onto a stale copy.
   */
  epoch: number;
  /** Host metadata (user, `clientIp` ...), never secrets. */
  metadata: Record<string, string>;
  /** Completed migrations and recoveries. */
  migrations: number;
  /**
   * The snapshot of a migration in flight (named from its suspend on, before
   * the store has it), or kept for a retry after a failed rollback. A recovery
   * restores from it when it is in the store and newer than the checkpoint: a
   * control plane that died mid-move leaves it, and the source may lose its copy too.
   */
  pendingSnapshot?: string;
  /** Last change, epoch ms. */
  updatedAt: number;
}

/** Options of {@link SessionRegistry.put}. */
export interface SessionRegistryPutOptions {
  /** Write only if no record exists (a registration); else `PRECONDITION_FAILED`. */
  ifAbsent?: boolean;
  /** Write only if the stored record has this epoch (a migration step); else `PRECONDITION_FAILED`. */
  expectedEpoch?: number;
  /** Aborts the call. */
  signal?: AbortSignal;
}

/** Options of {@link SessionRegistry.list}. */
export interface SessionRegistryListOptions {
  /** Only records of this region. */
  region?: string;
  /** Records whose id sorts after this one (the `next` of the previous page). */
  after?: string;
  /** Most records in one page, 1 to 10 000. Default 1 000. */
  limit?: number;
  /** Aborts the call. */
  signal?: AbortSignal;
}

/** One page of {@link SessionRegistry.list}. */
export interface SessionRegistryPage {
  /** Records in id order (JavaScript string order). */
  records: SessionRecord[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: string;
}

/**
 * Which session is active where, shared by every control-plane instance (the
 * one holding the lease acts; one that takes over reads every session from
 * here). Writes to one session are serialized by the migrator's per-session
 * lock; `expectedEpoch` fences the rest: a put whose `epoch` is lower than the
 * stored one is always refused with `PRECONDITION_FAILED`.
 *
 * Implementations: `MemorySessionRegistry` (core), `RedisSessionRegistry`
 * (`@meridian/replica-redis`). Bad input is `INVALID_ARGUMENT`; a registry that
 * cannot be reached is `STORE_UNAVAILABLE`.
 */
export interface SessionRegistry {
  /** One record, or undefined. */
  get(id: string, options?: { signal?: AbortSignal }): Promise<SessionRecord | undefined>;
  /** Records, all or of one region, a page at a time. */
  list(options?: SessionRegistryListOptions): Promise<SessionRegistryPage>;
  /** Creates or replaces a record, under the options' conditions. */
  put(record: SessionRecord, options?: SessionRegistryPutOptions): Promise<void>;
  /** Removes a record; true when one was there. */
  delete(id: string, options?: { signal?: AbortSignal }): Promise<boolean>;
}
