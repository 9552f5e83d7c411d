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
  causes?: ReadonlyArray<{ reason?: string; message?: string; field?: string; type?: string }>;
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
  rejected?: Array<{ regionId: string; reason: string }>;
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

/** The `details` each {@link MeridianErrorCode} carries; every field a program can read after checking `code`. */
export interface MeridianErrorDetailsMap {
  /** `INVALID_CONFIG`. */
  INVALID_CONFIG: InvalidConfigDetails;
  /** `INVALID_ARGUMENT`. */
  INVALID_ARGUMENT: InvalidArgumentDetails;
  /** `GEO_DATABASE_ERROR`: the database file, and the errno or the IP version it holds. */
  GEO_DATABASE_ERROR: { source?: string; code?: string | undefined; ipVersion?: number };
  /** `REGION_NOT_FOUND`: the unknown id and, where known, the ids that exist. */
  REGION_NOT_FOUND: { regionId: string; known?: string[] };
  /** `REGION_UNAVAILABLE`. */
  REGION_UNAVAILABLE: RegionUnavailableDetails;
  /** `PROVIDER_ERROR`. */
  PROVIDER_ERROR: ProviderCallDetails;
  /** `PROBE_FAILED`: none. */
  PROBE_FAILED: NoDetails;
  /** `ABORTED`: the regions tried (TrafficRouter) or the deployment so far (deployer). */
  ABORTED: { tried?: string[]; report?: DeploymentReport };
  /** `TIMEOUT`: the limit that passed and the region it applied to. */
  TIMEOUT: { timeoutMillis?: number; regionId?: string };
  /** `SHUT_DOWN`: none. */
  SHUT_DOWN: NoDetails;
  /** `FAILOVER_IN_PROGRESS`: the operation already running. */
  FAILOVER_IN_PROGRESS: { operation: string };
  /** `FAILOVER_FAILED`: the report of the failed failover, steps included. */
  FAILOVER_FAILED: { report: FailoverReport };
  /** `NO_ELIGIBLE_REGION`. */
  NO_ELIGIBLE_REGION: NoEligibleRegionDetails;
  /** `MIGRATION_FAILED`: the session, the failed step, and whether the session still runs in its source. */
  MIGRATION_FAILED: { sessionId: string; migrationId?: string; failedStep: string | undefined; resumedInSource?: boolean; steps?: StepRecord[] };
  /** `MIGRATION_IN_PROGRESS`: the session being migrated. */
  MIGRATION_IN_PROGRESS: { sessionId: string };
  /** `SESSION_NOT_FOUND`: the session and the region asked. */
  SESSION_NOT_FOUND: { sessionId: string; regionId?: string };
  /** `SNAPSHOT_CORRUPT`: why the snapshot could not be read. */
  SNAPSHOT_CORRUPT: { reason?: string };
  /** `SNAPSHOT_TOO_LARGE`: its size and the limit, in bytes. */
  SNAPSHOT_TOO_LARGE: { bytes: number; max: number };
  /** `PRECONDITION_FAILED`: the key (and region, or the pair of regions) whose precondition failed. */
  PRECONDITION_FAILED: { key?: string; keys?: string[]; regionId?: string; from?: string; to?: string };
  /** `STORE_UNAVAILABLE`. */
  STORE_UNAVAILABLE: StoreUnavailableDetails;
  /** `LEASE_LOST`. */
  LEASE_LOST: LeaseLostDetails;
  /** `LEASE_HELD`: none. */
  LEASE_HELD: NoDetails;
  /** `CLOCK_SKEW`: the node, its skew and the limit; or the key and region of a refused write. */
  CLOCK_SKEW: { node?: string; skewMillis?: number; maxClockSkewMillis?: number; key?: string; regionId?: string };
  /** `SYNC_PROTOCOL_ERROR`: where the malformed data came from. */
  SYNC_PROTOCOL_ERROR: { source?: string; target?: string; prefix?: string; key?: string };
  /** `VALUE_TOO_LARGE`: the key, its size and the limit (or the regions between which it was refused). */
  VALUE_TOO_LARGE: { key: string; bytes: number; maxValueBytes?: number; from?: string; to?: string };
  /** `READ_ONLY_REGION`: the region written to and the primary to write to instead. */
  READ_ONLY_REGION: { regionId: string; primary: string };
  /** `WEBHOOK_FAILED`: none. */
  WEBHOOK_FAILED: NoDetails;
}
