// Provider SPI of @meridian/core (`@meridian/core/spi`): helpers for packages that implement core's contracts
// (RegionProvider, ReplicaStore, SnapshotStore, SessionAdapter, Metrics) or build engines on core's conventions.
// Application code imports from `@meridian/core`; the contracts' types themselves live there too.
// Explicit exports only: anything not listed here or in index.ts is internal.

// Options validated once at the edge: INVALID_CONFIG naming the path and the value.
export { parseOptions, invalidConfig } from './config/parse-options.js';
export type { ConfigIssue, OptionsSchema, SchemaFailure, SchemaIssue, SchemaResult, SchemaSuccess } from './config/parse-options.js';
export { hasMethods } from './config/has-methods.js';
export { throwIfAborted } from './errors/abort.js';
// Why a call got no answer (refused, reset, timeout ...): what a retry can or cannot fix.
export { failureKind } from './traffic/failure-kind.js';
// Endpoint URLs: one check (absolute http(s), no credentials) and one redaction for every package.
export { endpointUrlProblem, redactUrlUserinfo } from './config/endpoint-url.js';

// Typed events and long-running operations, as the engines have them.
export { TypedEmitter } from './events/typed-emitter.js';
export { OperationHandle } from './failover/operation.js';
export { runSteps } from './failover/step-runner.js';
export type { SkippedStep, Step, StepsOutcome } from './failover/step-runner.js';
export { TokenBucket } from './sync/token-bucket.js';
export type { TokenBucketOptions } from './sync/token-bucket.js';

// RegionProvider implementations: traffic weights, fencing, per-region deploy settings.
export { validateTrafficWeights } from './contracts/traffic-weights.js';
export { FencingGate } from './contracts/fencing-gate.js';
export { resolveRegionConfigs } from './deploy/region-config.js';

// SessionRegistry implementations (e.g. @meridian/replica-redis): the reference's own checks and conflict rule.
export { SESSION_ID_PATTERN, checkListOptions, checkPutOptions, checkSessionId, checkSessionRecord, decodeStoredRecord, pageOfRecords, putConflict, putRefused } from './session-registry/session-record-input.js';

// SnapshotStore implementations.
export { SNAPSHOT_KEY_PATTERN } from './contracts/snapshot-store.js';

// ReplicaStore implementations (e.g. @meridian/replica-redis): the reference's own checks, records and digests.
export { MERKLE_LEAF_DEPTH, MERKLE_MAX_BITS, MERKLE_TREE_VERSION } from './contracts/replica-store.js';
export { MAX_KEY_BYTES, checkKey, checkRecord, keyHash, parseStoredRecord, recordEtag, toRecord } from './sync/replica-record.js';
export {
  EMPTY_SUMMARY,
  checkNodes,
  childrenOf,
  fingerprintOf,
  hashInNode,
  isFingerprint,
  isSummary,
  leafOf,
  merkleSummaries,
  nodeName,
  parseNode,
  xorFingerprints,
} from './sync/merkle.js';
export type { MerkleNode } from './sync/merkle.js';
export { checkKeys, checkScan, checkWrites } from './sync/replica-input.js';
// A store of this process may lend its records for reading (no copy each) to code that never changes them: the
// Syncer's sending side reads through `readOnly`, a store wrapping another reads it that way too.
export { lendReads, readOnly } from './sync/lent-reads.js';
export type { LentReads } from './sync/lent-reads.js';
// Stores on a local directory (core's file stores, @meridian/sync-directory): one process per directory.
export { lockDirectory } from './lease/directory-lock.js';
// The sync wire format, for a transport between regions.
export { SYNC_PROTOCOL_VERSION, decodeBatch, encodeBatch } from './sync/batch-codec.js';
export type { EncodedBatch, EncodeOptions } from './sync/batch-codec.js';

// Metrics implementations (e.g. @meridian/metrics-prometheus) and engines taking a Metrics option.
export { checkRecording, defineMetric, metricConflict, sameMetric, seriesKey } from './metrics/metric-definition.js';
export { CollectCallbacks } from './metrics/collect-callbacks.js';
export { guardMetrics } from './metrics/guard-metrics.js';
export { isMetrics, METRICS_METHODS } from './metrics/is-metrics.js';
