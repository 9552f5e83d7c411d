import type { StepRecord } from '@meridian/core';

/**
 * Where a session is in its life. `lost`: its source region died before a
 * snapshot could be taken, so no region the migrator can vouch for holds it.
 */
export type SessionState = 'active' | 'migrating' | 'suspended' | 'lost';

/** A registered session. */
export interface SessionInfo {
  /** Session id. */
  id: string;
  /** Region it is active in (or was, while migrating, suspended or lost). */
  region: string;
  /** `suspended` means a migration could not put it back: its snapshot is kept under `pendingSnapshot`. */
  state: SessionState;
  /** Host metadata (user, `clientIp` for evacuation by geography ...). */
  metadata: Record<string, string>;
  /** Completed migrations. */
  migrations: number;
  /** Snapshot kept for a retry after a failed rollback. */
  pendingSnapshot?: string;
  /** Last change, epoch ms. */
  updatedAt: number;
}

/** Progress of one migration. */
export interface MigrationProgress {
  /** Migration id. */
  migrationId: string;
  /** Session id. */
  sessionId: string;
  /** The step. */
  step: StepRecord;
}

/** Payload of `session:migrating`. */
export interface SessionMigratingEvent {
  /** Migration id. */
  migrationId: string;
  /** Session id. */
  sessionId: string;
  /** Source region. */
  from: string;
  /** Target region. */
  to: string;
  /** Attempt number, from 1. */
  attempt: number;
}

/** Payload of `session:migrated`. */
export interface SessionMigratedEvent extends SessionMigratingEvent {
  /** Wall time of the successful attempt. */
  durationMillis: number;
  /** Encoded snapshot size. */
  bytes: number;
  /** Steps with timings. */
  steps: StepRecord[];
}

/** Payload of `session:migration-failed`. */
export interface SessionMigrationFailedEvent extends SessionMigratingEvent {
  /** The step that failed. */
  failedStep: string;
  /** Why. */
  error: string;
  /** Whether the session is active again in its source region. */
  resumedInSource: boolean;
  /** Where the attempt left the session: active again in the source, suspended with its snapshot kept, or lost (source dead). */
  outcome: 'rolled-back' | 'suspended' | 'lost';
  /** Steps with timings and rollback outcomes. */
  steps: StepRecord[];
}

/** Payload of `session:lost`. */
export interface SessionLostEvent {
  /** Session id. */
  sessionId: string;
  /** The region that died holding it. */
  region: string;
  /** The migration that found it out. */
  migrationId: string;
  /** Why (the error of the snapshot step). */
  error: string;
}

/** Payload of `region:evacuating`. */
export interface RegionEvacuatingEvent {
  /** The region being emptied. */
  regionId: string;
  /** Sessions to move. */
  sessionCount: number;
}

/** Payload of `region:evacuated`. */
export interface RegionEvacuatedEvent {
  /** The region emptied. */
  regionId: string;
  /** Sessions moved. */
  migrated: number;
  /** Sessions that could not move (still in the region, or suspended with their snapshot kept). */
  failed: number;
  /** Wall time. */
  durationMillis: number;
}

/** Events of a {@link SessionMigrator}. */
export interface MigratorEvents {
  /** A migration attempt started. */
  'session:migrating': SessionMigratingEvent;
  /** A session is active in its new region. */
  'session:migrated': SessionMigratedEvent;
  /** An attempt failed and was rolled back. */
  'session:migration-failed': SessionMigrationFailedEvent;
  /** A session's source region died before a snapshot could be taken: not active anywhere the migrator knows. */
  'session:lost': SessionLostEvent;
  /** An evacuation started. */
  'region:evacuating': RegionEvacuatingEvent;
  /** An evacuation ended. */
  'region:evacuated': RegionEvacuatedEvent;
}

/** Counters of a migrator. */
export interface MigrationStatistics {
  /** Registered sessions. */
  sessions: number;
  /** Sessions per state. */
  byState: Record<SessionState, number>;
  /** Sessions per region, lost ones not counted: every region in the `regions` option or that a session has been in, 0 included. */
  byRegion: Record<string, number>;
  /** Completed migrations (recoveries included). */
  migrated: number;
  /** Migrations that failed, once per session and call however many attempts it took. */
  failed: number;
  /** Failed migrations whose session is active again in its source. */
  rolledBack: number;
  /** Sessions declared lost (their source died before a snapshot). */
  lost: number;
  /** Median duration of recent successful migrations, ms. */
  p50Millis: number;
  /** 95th percentile, ms. */
  p95Millis: number;
  /** Encoded snapshot bytes moved. */
  bytesMoved: number;
}
