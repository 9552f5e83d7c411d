// Public API of @meridian/core, for application code. Explicit exports only: anything not listed here is internal,
// except the helpers for packages that implement core's contracts, which are in spi.ts (`@meridian/core/spi`).

export { MeridianError } from './errors/meridian-error.js';
export type { MeridianErrorCode, MeridianErrorOptions } from './errors/meridian-error.js';
export type { MeridianErrorDetails } from './errors/meridian-error.js';
export type {
  MeridianErrorDetailsMap,
  NoDetails,
  ProviderCallDetails,
  InvalidConfigDetails,
  InvalidArgumentDetails,
  NoEligibleRegionDetails,
  RegionUnavailableDetails,
  LeaseLostDetails,
  StoreUnavailableDetails,
  KubeStatusCause,
  RejectedRegion,
  GeoDatabaseErrorDetails,
  RegionNotFoundDetails,
  AbortedDetails,
  TimeoutDetails,
  FailoverInProgressDetails,
  FailoverFailedDetails,
  MigrationFailedDetails,
  SessionDetails,
  SessionNotFoundDetails,
  SessionFencedDetails,
  SnapshotCorruptDetails,
  SnapshotTooLargeDetails,
  PreconditionFailedDetails,
  ClockSkewDetails,
  SyncProtocolErrorDetails,
  ValueTooLargeDetails,
  ReadOnlyRegionDetails,
} from './errors/error-details.js';

export type { Disposable } from './events/disposable.js';
export type { ErrorEvents, EventMap, EventsOf, HasEventMap, EventSource, Listener, ListenerErrorEvent, WithErrorEvent } from './events/typed-emitter.js';

export { systemClock } from './clock/clock.js';
export { MAX_TIMER_MILLIS } from './clock/clock.js';
export type { Clock, TimerHandle } from './clock/clock.js';
export { ManualClock } from './clock/manual-clock.js';
export { sleep } from './clock/sleep.js';

export { defineRegion, REGION_ID_PATTERN } from './regions/region.js';
export type { GeoPoint, Region, RegionInput } from './regions/region.js';
export { defineRegions } from './regions/define-regions.js';
export { findRegion, getByRegionId } from './regions/find-region.js';
export type { HasRegionId } from './regions/find-region.js';

export type {
  DeployedRegion,
  DeployOptions,
  DeployProgress,
  DeployResult,
  DeploySpec,
  ProviderCallOptions,
  RegionPrice,
  RegionOverride,
  RegionProvider,
  RegionRunState,
  RegionStatus,
  TrafficWeights,
} from './contracts/region-provider.js';
export type { RouteDecision, RouteRequest, Router } from './contracts/router.js';
export type { Lease, LeaseStore } from './contracts/lease-store.js';
export type { SnapshotPutResult, SnapshotStore, SnapshotWriteOptions, StoredSnapshot } from './contracts/snapshot-store.js';
export type { Failover, FailoverRequest, FailoverStatus } from './contracts/failover.js';
export type { Syncer, SyncRegionStatus, SyncStatus } from './contracts/syncer.js';
export type { ActivationCallOptions, AdapterCallOptions, BatchMigrationResult, HeldSession, FailedMigration, MigrateOptions, MigrationResult, Migrator, SessionAdapter, SessionBatchItem, SessionBatchOutcome, SessionRef, SessionRestoreItem } from './contracts/migrator.js';

export type { SessionRecord, SessionRegistry, SessionRegistryListOptions, SessionRegistryPage, SessionRegistryPutOptions, SessionState } from './contracts/session-registry.js';
export { MemorySessionRegistry } from './session-registry/memory-session-registry.js';
export { MemoryLeaseStore } from './lease/memory-lease-store.js';
export type { MemoryLeaseStoreOptions } from './lease/memory-lease-store.js';
export { FailoverManager } from './failover/failover-manager.js';
export type { RegionPriority } from './failover/failover-manager.js';
export type { DrillRequest, FailbackRequest, FailoverPlan, PlanCheck, PlannedFailoverOptions } from './failover/failover-manager.js';
export type { FailbackOptions, FailoverManagerOptions, FailoverRegion, HealthView, TrafficShifter } from './failover/failover-options.js';
export type {
  DrillReport,
  FailbackScheduleEvent,
  FailoverEvents,
  FailoverKind,
  FailoverManagerStatus,
  FailoverProgress,
  FailoverReport,
  FailoverStartedEvent,
  LeaseEvent,
  NoHealthyRegionEvent,
  OperationRef,
  PendingFailback,
  StepRecord,
  StepStatus,
  TrafficChangedEvent,
} from './failover/failover-types.js';
export type { FailoverOperation, Operation } from './failover/operation.js';
export { HealthMonitor } from './health/health-monitor.js';
export type { HealthMonitorOptions, HealthSettings, HealthSettingsState, HealthTarget, PassiveHealthOptions, SuccessRateOptions } from './health/health-options.js';
export type {
  EjectionRule,
  EjectionSkippedEvent,
  HealthEvents,
  PassiveFailure,
  RegionEjectedEvent,
  HealthState,
  HealthTransition,
  PassiveOutcome,
  ProbeEvent,
  ProbeOutcome,
  RegionHealth,
} from './health/health-types.js';
export { createHttpProber } from './health/http-prober.js';
export { TrafficRouter } from './traffic/traffic-router.js';
export type { PassiveHealth, PassiveHealthView, RetryBudgetOptions, TrafficRegion, TrafficRetryOptions, TrafficRouterOptions } from './traffic/traffic-options.js';
export type {
  ChoiceReason,
  ForwardRequest,
  ForwardResponse,
  RequestFailedEvent,
  RequestRetriedEvent,
  RetryBudgetState,
  TrafficEvents,
  TrafficPanicEndedEvent,
  TrafficPanicEvent,
  TrafficRegionStats,
  TrafficStats,
} from './traffic/traffic-types.js';
export type { BodyInput } from './traffic/request-body.js';
export type { FailureKind } from './traffic/failure-kind.js';
export { TrustedProxies } from './traffic/trusted-proxies.js';
export type { HttpProberOptions, StatusRange } from './health/http-prober.js';
export type { Prober, ProbeTarget } from './health/prober.js';

export type {
  ApplyResult,
  MerkleSummary,
  ReplicaCallOptions,
  ReplicaEntry,
  ReplicaRecord,
  ReplicaStore,
  ReplicaVersion,
  ReplicaWrite,
  ScanOptions,
  ScanPage,
  StoredRecord,
} from './contracts/replica-store.js';
export { HybridLogicalClock, compareHlc, decodeHlc, encodeHlc, hlcWall, isHlc } from './sync/hlc.js';
export type { HlcTimestamp, HybridLogicalClockOptions } from './sync/hlc.js';
export { compareVectors, mergeVectors } from './sync/version-vector.js';
export type { VectorOrder } from './sync/version-vector.js';
export { MemoryReplicaStore } from './sync/memory-replica-store.js';
export { FileReplicaStore } from './sync/file-replica-store.js';
export type { FileReplicaStoreOptions } from './sync/file-replica-store.js';
export { CrossRegionSync } from './sync/cross-region-sync.js';
export type { CrossRegionSyncStatus, SyncPairRound, SyncRoundReport } from './sync/cross-region-sync.js';
export type { CrossRegionSyncOptions, SyncRegion, SyncRetryOptions, SyncSettings, SyncSettingsState } from './sync/sync-options.js';
export type {
  PendingConflict,
  SyncClockSkewEvent,
  SyncCompletedEvent,
  SyncConflictEvent,
  SyncErrorEvent,
  SyncErrorInfo,
  SyncEvents,
  SyncLagEvent,
  SyncPairState,
  SyncPairStatus,
  SyncRegionState,
  SyncResolvedEvent,
} from './sync/sync-types.js';
export type { ConflictInput, ConflictOutcome, ConflictPolicy, ConflictResolver, KeepDeleted, KeepValue } from './sync/conflict-resolution.js';
export { ReplicaWriter } from './sync/replica-writer.js';
export type { ReplicaWriterOptions, WriteAck } from './sync/replica-writer.js';
export type { BatchEncoding, CompressionSetting } from './sync/batch-codec.js';
export { haversineKm } from './regions/distance.js';
export { MultiRegionDeployer } from './deploy/multi-region-deployer.js';
export type { DeployOperation } from './deploy/multi-region-deployer.js';
export type { MultiRegionDeployerOptions } from './deploy/deploy-options.js';
export type { DeployRequest } from './deploy/deploy-request.js';
export type {
  DeployEvents,
  DeploymentProgress,
  DeploymentReport,
  DeployOutcome,
  DeployState,
  DeployStrategy,
  FailurePolicy,
  RegionDeployConfig,
  RegionDeployState,
  RegionDeployStatus,
} from './deploy/deploy-types.js';
export { selectRegions } from './deploy/placement.js';
export type { Placement, PlacementCandidate, PlacementPick, PopulationPoint, SelectRegionsOptions } from './deploy/placement.js';

export type { Counter, Gauge, Histogram, HistogramOptions, MetricLabels, MetricOptions, Metrics } from './metrics/metrics.js';
export { DEFAULT_BUCKETS } from './metrics/metrics.js';
export { noopMetrics } from './metrics/noop-metrics.js';
export { MemoryMetrics } from './metrics/memory-metrics.js';
export type { BucketCount, DistributionValue, MetricSeries } from './metrics/memory-metrics.js';
export { createListenerMetrics } from './metrics/listener-metrics.js';
export type { ListenerMetrics, MetricRecord, MetricsListener } from './metrics/listener-metrics.js';
export { MERIDIAN_METRICS, REGION_HEALTH_VALUE } from './metrics/meridian-metrics.js';
export type { MeridianMetricCatalogue } from './metrics/meridian-metrics.js';
export type { MetricDefinition, MetricKind } from './metrics/metric-definition.js';

export { WebhookNotifier } from './alerts/webhook-notifier.js';
export type { AlertRateLimitOptions, AlertRetryOptions, WebhookNotifierOptions, WebhookTarget } from './alerts/webhook-options.js';
export type { AlertSource, AlertSources, MigrationFailureEvents, MigrationFailureLike } from './alerts/engine-alerts.js';
export type { Alert, AlertError, AlertDropReason, AlertDroppedEvent, AlertEvents, AlertFailedEvent, AlertInput, AlertSentEvent, AlertSeverity, AlertType } from './alerts/alert-types.js';
export { genericPayload, slackPayload } from './alerts/alert-payload.js';
export type { SlackMessage } from './alerts/alert-payload.js';
