import type { ConfigIssue } from '../config/parse-options.js';
import type { DeploymentReport } from '../deploy/deploy-types.js';
import type { FailoverReport, StepRecord } from '../failover/failover-types.js';
import type { HealthState } from '../health/health-types.js';
import type { FailureKind } from '../traffic/failure-kind.js';

/** Details of a code that carries none. */
export type NoDetails = Record<string, never>;

/**
 * What a provider (k8s, Azure, local processes) adds when a call to its control
 * plane fails; shared by the codes such a failure maps to.
 */
export interface ProviderCallDetails {
  /** The region the call was for. */
  regionId?: string;
  /** What was being done (Azure), e.g. `create virtual machine`. */
  operation?: string;
  /** The provider's own error code (Azure ARM code, a socket errno). */
  code?: string | undefined;
  /** HTTP status of an ARM answer. */
  statusCode?: number;
  /** HTTP status of a Kubernetes apiserver answer. */
  status?: number;
  /** The apiserver URL (never credentials). */
  server?: string;
  /** Kubernetes verb, e.g. `patch`. */
  verb?: string;
  /** Kubernetes resource, e.g. `deployments.apps`. */
  resource?: string;
  /** Kubernetes namespace. */
  namespace?: string;
  /** The apiserver's `reason`. */
  reason?: string;
  /** The apiserver's `details.causes`. */
  causes?: ReadonlyArray<KubeStatusCause>;
  /** The network error behind an unreachable cluster (`ECONNREFUSED`). */
  network?: string;
  /** Field managers holding conflicting fields of a server-side apply. */
  managers?: string[];
  /** Fields the apiserver named. */
  fields?: Array<string | undefined>;
  /** Time limit that passed, in milliseconds. */
  timeoutMillis?: number;
  /** Azure VM size a price lookup was for. */
  size?: string;
  /** Azure region name a price lookup was for. */
  region?: string;
}

/** One cause in a Kubernetes `Status` answer. */
export interface KubeStatusCause {
  /** Machine-readable reason, e.g. `FieldValueInvalid`. */
  reason?: string;
  /** What the apiserver said. */
  message?: string;
  /** The field at fault, e.g. `spec.replicas`. */
  field?: string;
  /** Cause type, e.g. `FieldManagerConflict`. */
  type?: string;
}

/** A region placement refused, with why. */
export interface RejectedRegion {
  /** The region. */
  regionId: string;
  /** Why it was refused. */
  reason: string;
}

/** `INVALID_CONFIG`: an option failed validation (or a provider refused the configuration). */
export interface InvalidConfigDetails extends ProviderCallDetails {
  /** What was being validated, e.g. `health monitor options`. */
  where?: string;
  /** Every failing path with its (redacted) value. */
  issues?: ConfigIssue[];
}

/** `INVALID_ARGUMENT`: a call argument was refused. */
export interface InvalidArgumentDetails {
  /** The argument or field at fault. */
  field?: string;
  /** Its path, for nested input. */
  path?: string;
  /** Position in a list argument. */
  index?: number;
  /** An IP address that could not be used. */
  ip?: string;
  /** The peer URL that answered. */
  target?: string;
  /** The HTTP status it answered with. */
  status?: number;
  /** Azure region name of a price lookup. */
  region?: string;
  /** Azure VM size of a price lookup. */
  size?: string;
}

/** `NO_ELIGIBLE_REGION`: no region could take the request, placement or lookup. */
export interface NoEligibleRegionDetails {
  /** GeoRouter: why each region was excluded, by region id. */
  reasons?: Record<string, string>;
  /** GeoRouter: the client's country, when known. */
  country?: string | undefined;
  /** Placement: the regions picked before running out. */
  picked?: string[];
  /** Placement: the regions refused, each with why. */
  rejected?: RejectedRegion[];
  /** Azure prices: the region name looked up. */
  region?: string;
  /** Azure prices: the VM size looked up. */
  size?: string;
}

/** `REGION_UNAVAILABLE`: a region (or every region tried) could not serve. */
export interface RegionUnavailableDetails extends ProviderCallDetails {
  /** The region's health when it was refused. */
  state?: HealthState;
  /** TrafficRouter: the regions tried, in order. */
  tried?: string[];
  /** TrafficRouter: how many tries were made. */
  attempts?: number;
  /** TrafficRouter: why the last try failed (`status` for a retryable HTTP status); a provider: the apiserver's reason. */
  reason?: FailureKind | 'status' | (string & {});
  /** TrafficRouter: why no further try was made. */
  notRetried?: 'not-idempotent' | 'body-too-large' | 'budget' | 'max-attempts' | 'no-other-region';
}

/** `LEASE_LOST`: a lease or fencing token is no longer held. */
export interface LeaseLostDetails {
  /** Lease name. */
  name?: string;
  /** Who held it. */
  holder?: string;
  /** The token held. */
  token?: number;
  /** Who holds it now, if anyone. */
  currentHolder?: string | undefined;
  /** The current token, if any. */
  currentToken?: number | undefined;
  /** A fenced write's token. */
  fencingToken?: number;
  /** The highest token seen, which beat it. */
  highest?: number;
}

/** `STORE_UNAVAILABLE`: a replica, snapshot or lease store could not be reached. */
export interface StoreUnavailableDetails extends ProviderCallDetails {
  /** The store's address (never credentials). */
  target?: string;
  /** Key prefix of the store. */
  prefix?: string;
  /** The key being read or written. */
  key?: string;
  /** File store: its directory. */
  directory?: string;
  /** File store: the process holding its lock. */
  pid?: number;
}

/** `GEO_DATABASE_ERROR`: a GeoIP database could not be opened or read. */
export interface GeoDatabaseErrorDetails {
  /** The database file or source. */
  source?: string;
  /** The errno, e.g. `ENOENT`. */
  code?: string | undefined;
  /** The IP version the database holds. */
  ipVersion?: number;
}

/** `REGION_NOT_FOUND`: an unknown region id. */
export interface RegionNotFoundDetails {
  /** The id asked for. */
  regionId: string;
  /** The ids that exist, where known. */
  known?: string[];
}

/** `ABORTED`: an aborted call. */
export interface AbortedDetails {
  /** TrafficRouter: the regions tried before the abort. */
  tried?: string[];
  /** Deployer: the deployment so far. */
  report?: DeploymentReport;
}

/** `TIMEOUT`: a wait that ran out. */
export interface TimeoutDetails {
  /** The limit that passed, in milliseconds. */
  timeoutMillis?: number;
  /** The region it applied to. */
  regionId?: string;
}

/** `FAILOVER_IN_PROGRESS`: another operation runs. */
export interface FailoverInProgressDetails {
  /** The operation already running. */
  operation: string;
}

/** `FAILOVER_FAILED`: a failover that did not complete. */
export interface FailoverFailedDetails {
  /** Its report, steps included. */
  report: FailoverReport;
}

/** `MIGRATION_FAILED`: a session migration that did not complete. */
export interface MigrationFailedDetails {
  /** The session. */
  sessionId: string;
  /** The migration. */
  migrationId?: string;
  /** The step that failed. */
  failedStep: string | undefined;
  /** Whether the session runs again in its source region. */
  resumedInSource?: boolean;
  /** Every step, with outcome and timing. */
  steps?: StepRecord[];
}

/** `MIGRATION_IN_PROGRESS`: the session already being migrated. */
export interface SessionDetails {
  /** The session. */
  sessionId: string;
}

/** `SESSION_NOT_FOUND`: a session a region does not hold. */
export interface SessionNotFoundDetails {
  /** The session. */
  sessionId: string;
  /** The region asked. */
  regionId?: string;
}

/** `SESSION_FENCED`: an activation under an epoch lower than the one a region's copy (or the registry) holds. */
export interface SessionFencedDetails {
  /** The session. */
  sessionId: string;
  /** The region that refused. */
  regionId?: string;
  /** The epoch of the refused call. */
  epoch?: number;
  /** The epoch the region's copy or the registry holds. */
  currentEpoch?: number;
}

/** `SNAPSHOT_CORRUPT`: a snapshot that cannot be read. */
export interface SnapshotCorruptDetails {
  /** Why. */
  reason?: string;
}

/** `SNAPSHOT_TOO_LARGE`: a snapshot over the limit. */
export interface SnapshotTooLargeDetails {
  /** Its size in bytes. */
  bytes: number;
  /** The limit in bytes. */
  max: number;
}

/** `PRECONDITION_FAILED`: a conditional write or check that failed. */
export interface PreconditionFailedDetails {
  /** The key. */
  key?: string;
  /** The keys, for a batch. */
  keys?: string[];
  /** The region. */
  regionId?: string;
  /** Source region of a batch. */
  from?: string;
  /** Target region of a batch. */
  to?: string;
}

/** `CLOCK_SKEW`: a timestamp too far ahead. */
export interface ClockSkewDetails {
  /** The node whose clock is ahead. */
  node?: string;
  /** How far ahead, in milliseconds. */
  skewMillis?: number;
  /** The limit, in milliseconds. */
  maxClockSkewMillis?: number;
  /** The key of a refused write. */
  key?: string;
  /** The region of a refused write. */
  regionId?: string;
}

/** `SYNC_PROTOCOL_ERROR`: data that is not the sync protocol. */
export interface SyncProtocolErrorDetails {
  /** Where it came from. */
  source?: string;
  /** The peer or store address (never credentials). */
  target?: string;
  /** Key prefix of the store. */
  prefix?: string;
  /** The malformed record's key. */
  key?: string;
}

/** `VALUE_TOO_LARGE`: a value over the limit. */
export interface ValueTooLargeDetails {
  /** The key. */
  key: string;
  /** Its size in bytes. */
  bytes: number;
  /** The limit in bytes. */
  maxValueBytes?: number;
  /** Source region of a refused delivery. */
  from?: string;
  /** Target region of a refused delivery. */
  to?: string;
}

/** `READ_ONLY_REGION`: a write to a non-primary region. */
export interface ReadOnlyRegionDetails {
  /** The region written to. */
  regionId: string;
  /** The primary to write to instead. */
  primary: string;
}

/** The `details` each {@link MeridianErrorCode} carries; every field a program can read after checking `code`. */
export interface MeridianErrorDetailsMap {
  /** `INVALID_CONFIG`. */
  INVALID_CONFIG: InvalidConfigDetails;
  /** `INVALID_ARGUMENT`. */
  INVALID_ARGUMENT: InvalidArgumentDetails;
  /** `GEO_DATABASE_ERROR`. */
  GEO_DATABASE_ERROR: GeoDatabaseErrorDetails;
  /** `REGION_NOT_FOUND`. */
  REGION_NOT_FOUND: RegionNotFoundDetails;
  /** `REGION_UNAVAILABLE`. */
  REGION_UNAVAILABLE: RegionUnavailableDetails;
  /** `PROVIDER_ERROR`. */
  PROVIDER_ERROR: ProviderCallDetails;
  /** `PROBE_FAILED`: none. */
  PROBE_FAILED: NoDetails;
  /** `ABORTED`. */
  ABORTED: AbortedDetails;
  /** `TIMEOUT`. */
  TIMEOUT: TimeoutDetails;
  /** `SHUT_DOWN`: none. */
  SHUT_DOWN: NoDetails;
  /** `FAILOVER_IN_PROGRESS`. */
  FAILOVER_IN_PROGRESS: FailoverInProgressDetails;
  /** `FAILOVER_FAILED`. */
  FAILOVER_FAILED: FailoverFailedDetails;
  /** `NO_ELIGIBLE_REGION`. */
  NO_ELIGIBLE_REGION: NoEligibleRegionDetails;
  /** `MIGRATION_FAILED`. */
  MIGRATION_FAILED: MigrationFailedDetails;
  /** `MIGRATION_IN_PROGRESS`. */
  MIGRATION_IN_PROGRESS: SessionDetails;
  /** `SESSION_NOT_FOUND`. */
  SESSION_NOT_FOUND: SessionNotFoundDetails;
  /** `SESSION_FENCED`. */
  SESSION_FENCED: SessionFencedDetails;
  /** `SNAPSHOT_CORRUPT`. */
  SNAPSHOT_CORRUPT: SnapshotCorruptDetails;
  /** `SNAPSHOT_TOO_LARGE`. */
  SNAPSHOT_TOO_LARGE: SnapshotTooLargeDetails;
  /** `PRECONDITION_FAILED`. */
  PRECONDITION_FAILED: PreconditionFailedDetails;
  /** `STORE_UNAVAILABLE`. */
  STORE_UNAVAILABLE: StoreUnavailableDetails;
  /** `LEASE_LOST`. */
  LEASE_LOST: LeaseLostDetails;
  /** `LEASE_HELD`: none. */
  LEASE_HELD: NoDetails;
  /** `CLOCK_SKEW`. */
  CLOCK_SKEW: ClockSkewDetails;
  /** `SYNC_PROTOCOL_ERROR`. */
  SYNC_PROTOCOL_ERROR: SyncProtocolErrorDetails;
  /** `VALUE_TOO_LARGE`. */
  VALUE_TOO_LARGE: ValueTooLargeDetails;
  /** `READ_ONLY_REGION`. */
  READ_ONLY_REGION: ReadOnlyRegionDetails;
  /** `WEBHOOK_FAILED`: none. */
  WEBHOOK_FAILED: NoDetails;
}
