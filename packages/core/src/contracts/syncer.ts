/** Replication state towards one region. */
export interface SyncRegionStatus {
  /** Region id. */
  regionId: string;
  /** How far behind it is, in milliseconds. */
  lagMillis: number;
}

/** Replication state of every region. */
export interface SyncStatus {
  /** Per region. */
  regions: SyncRegionStatus[];
  /** Conflicts detected so far. */
  conflicts: number;
}

/** Keeps keyed data in step between regions. */
export interface Syncer {
  /** Replication lag per region. */
  status(): SyncStatus;
  /** Resolves when `regionId` is within `maxLagMillis`, or rejects on abort. */
  waitForLag(regionId: string, maxLagMillis: number, options?: { signal?: AbortSignal }): Promise<void>;
}
