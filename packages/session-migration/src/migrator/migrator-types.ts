import type { SessionRecord, SessionState, StepRecord } from '@meridian/core';
import type { RecoveredSession } from './region-recovery.js';

export type { SessionState };

/**
 * A registered session: the record the migrator keeps in its `SessionRegistry`
 * (region, state, fencing `epoch`, metadata, migrations). `suspended` means a
 * migration could not put it back (its snapshot is kept under
 * `pendingSnapshot`) or its region died and it awaits recovery; `lost` means no
 * region the migrator can vouch for holds it.
 */
export type SessionInfo = SessionRecord;

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
  /** The region that held it last: it died, or (reconcile's `restoreMissing`) answers without it. */
  region: string;
  /**
   * `source-unreachable`: a migration found its source dead before a snapshot;
   * `no-checkpoint`: its region died (or lost it) before its first checkpoint;
   * `checkpoint-corrupt`: its checkpoint was refused (tampered, truncated, key rotated out).
   */
  reason: 'source-unreachable' | 'no-checkpoint' | 'checkpoint-corrupt';
  /** The migration that found it out (for `source-unreachable`). */
  migrationId?: string;
  /** Why, in words. */
  error: string;
}

/** Payload of `session:recovered`: a session of a dead region is active elsewhere, restored from its checkpoint. */
export interface SessionRecoveredEvent extends RecoveredSession {
  /** Encoded checkpoint bytes read. */
  bytes: number;
  /** Time from the start of this session's recovery to its activation. */
  durationMillis: number;
}

/** Payload of `region:recovering`. */
export interface RegionRecoveringEvent {
  /** The dead region. */
  regionId: string;
  /** Sessions to recover. */
  sessionCount: number;
}

/** Payload of `region:recovered`. */
export interface RegionRecoveredEvent {
  /** The dead region. */
  regionId: string;
  /** Sessions active elsewhere now. */
  recovered: number;
  /** Sessions reported lost (no usable checkpoint). */
  lost: number;
  /** Sessions not recovered this time (store down past the deadline, no target); still suspended, checkpoint kept. */
  failed: number;
  /** Highest staleness among the recovered sessions. */
  maxStalenessMillis: number;
  /** Wall time. */
  durationMillis: number;
}

/** Payload of `region:reconciled`: a region that came back was told which of its copies are stale. */
export interface RegionReconciledEvent {
  /** The region that came back. */
  regionId: string;
  /** Stale copies removed (their session is active elsewhere under a higher epoch). */
  discarded: number;
  /** Copies it held of sessions still registered there, activated again under their epoch. */
  reactivated: number;
  /** With `restoreMissing`: sessions it no longer held, restored there from their stored state. */
  restored: number;
  /** With `restoreMissing`: sessions it no longer held and nothing usable was stored of, reported lost. */
  lost: number;
  /** Copies that could not be handled (the region stopped answering): tried again on the next reconcile. */
  failed: number;
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
  /** A session is gone: its region died and nothing usable of it was left (by id, with the reason). */
  'session:lost': SessionLostEvent;
  /** A session of a dead region is active elsewhere, restored from its checkpoint, with its staleness. */
  'session:recovered': SessionRecoveredEvent;
  /** A recovery of a dead region's sessions started. */
  'region:recovering': RegionRecoveringEvent;
  /** A recovery ended, with its counts. */
  'region:recovered': RegionRecoveredEvent;
  /** A region that came back had its stale copies removed. */
  'region:reconciled': RegionReconciledEvent;
  /** A write to the session registry failed; `flush()` tries it again. */
  'registry:error': RegistryErrorEvent;
  /** An evacuation started. */
  'region:evacuating': RegionEvacuatingEvent;
  /** An evacuation ended. */
  'region:evacuated': RegionEvacuatedEvent;
}

/** Payload of `registry:error`. */
export interface RegistryErrorEvent {
  /** Session whose record could not be written. */
  sessionId: string;
  /** The error's code, when it has one. */
  code?: string;
  /** Why. */
  error: string;
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
  /** Sessions declared lost (their region died and no usable snapshot or checkpoint was left). */
  lost: number;
  /** Sessions recovered from a checkpoint after their region died. */
  recovered: number;
  /** Highest staleness of a recovered session since the migrator started, ms (0 when none). */
  maxStalenessMillis: number;
  /** Median duration of recent successful migrations, ms. */
  p50Millis: number;
  /** 95th percentile, ms. */
  p95Millis: number;
  /** Encoded snapshot bytes moved. */
  bytesMoved: number;
}
