// Public API of @meridian/session-migration: snapshots, the migrator, the checkpointer.
export { SnapshotCodec } from './codec/snapshot-codec.js';
export type { SnapshotCompression, SnapshotHeader } from './codec/snapshot-codec.js';
export type { SnapshotCodecOptions, SnapshotKey } from './codec/codec-options.js';
export { FileSnapshotStore } from './stores/file-snapshot-store.js';
export type { FileSnapshotStoreOptions } from './stores/file-snapshot-store.js';
export { MemorySnapshotStore } from './stores/memory-snapshot-store.js';
export { SegmentSnapshotStore } from './stores/segment-snapshot-store.js';
export { REGISTRY_KEY_PREFIX, SnapshotStoreSessionRegistry } from './stores/snapshot-store-session-registry.js';
export type { CompactionResult, SegmentStoreRecovery, SegmentStoreStatistics } from './stores/segment-store-types.js';
export type { SegmentSnapshotStoreOptions } from './stores/segment-store-options.js';
export { SessionMigrator } from './migrator/session-migrator.js';
export type { EvacuateOptions, SessionMigrateOptions, SweepSnapshotsOptions, SweepSnapshotsResult } from './migrator/session-migrator.js';
export type { LostSession, ReconcileOptions, ReconcileResult, RecoveredSession, RecoverRegionOptions, RegionRecoveryResult } from './migrator/region-recovery.js';
export type { SessionMigratorOptions } from './migrator/migrator-options.js';
export type {
  MigrationProgress,
  MigrationStatistics,
  MigratorEvents,
  RegionEvacuatedEvent,
  RegionEvacuatingEvent,
  RegionReconciledEvent,
  RegionRecoveredEvent,
  RegionRecoveringEvent,
  RegistryErrorEvent,
  SessionInfo,
  SessionLostEvent,
  SessionRecoveredEvent,
  SessionMigratedEvent,
  SessionMigratingEvent,
  SessionMigrationFailedEvent,
  SessionState,
} from './migrator/migrator-types.js';
export { autoEvacuate } from './migrator/auto-evacuate.js';
export type { AffinityBroken, AutoEvacuateOptions, AutoEvacuation, AutoEvacuationOutcome, Emits, HealthTransitions } from './migrator/auto-evacuate.js';
export { SessionCheckpointer } from './checkpoint/session-checkpointer.js';
export { CHECKPOINT_KEY_PREFIX, checkpointKey } from './checkpoint/checkpoint-keys.js';
export type { CheckpointSession, CheckpointSessionSource, SessionCheckpointerOptions } from './checkpoint/checkpoint-options.js';
export type {
  CheckpointerEvents,
  CheckpointerStatus,
  CheckpointFailedEvent,
  CheckpointRound,
  CheckpointStoreUnavailableEvent,
  SessionCheckpoint,
  SessionCheckpointStatus,
} from './checkpoint/checkpoint-types.js';
