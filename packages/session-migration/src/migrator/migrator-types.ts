import type { StepRecord } from '@meridian/core';

/** Where a session is in its life. */
export type SessionState = 'active' | 'migrating' | 'suspended';

/** A registered session. */
export interface SessionInfo {
  /** Session id. */
  id: string;
  /** Region it is active in (or was, while migrating or suspended). */
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
  /** Steps with timings and rollback outcomes. */
  steps: StepRecord[];
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
  /** Sessions per region: every region in the `regions` option or that a session has been in, 0 included. */
  byRegion: Record<string, number>;
  /** Completed migrations. */
  migrated: number;
  /** Failed attempts (each rolled back). */
  failed: number;
  /** Median duration of recent successful migrations, ms. */
  p50Millis: number;
  /** 95th percentile, ms. */
  p95Millis: number;
  /** Encoded snapshot bytes moved. */
  bytesMoved: number;
}
