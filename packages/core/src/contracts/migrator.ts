/** Options of one migration. */
export interface MigrateOptions {
  /** Aborts and undoes the steps done. */
  signal?: AbortSignal;
  /** Gives up (and undoes) after this long. */
  timeoutMillis?: number;
  /** Attempts after the first. */
  retries?: number;
}

/** Outcome of one migration. */
export interface MigrationResult {
  /** Session id. */
  sessionId: string;
  /** Where it was. */
  from: string;
  /** Where it is now. */
  to: string;
  /** Wall time taken. */
  durationMillis: number;
}

/** Moves live sessions between regions without losing one. */
export interface Migrator {
  /** Moves one session. */
  migrate(sessionId: string, targetRegion: string, options?: MigrateOptions): Promise<MigrationResult>;
  /** Moves every session out of a region. */
  evacuate(regionId: string, options?: MigrateOptions): Promise<MigrationResult[]>;
}
