import { ArmError } from './arm-error.js';

/** How the next requests are throttled. */
export interface ThrottleSpec {
  /** `Retry-After` in seconds. Default 1. */
  retryAfterSeconds?: number;
  /** Only requests for this resource type (`Microsoft.Compute/virtualMachines`, case-insensitive). Default: every ARM request. */
  resourceType?: string;
  /** Only these HTTP methods. Default: all. */
  methods?: string[];
  /** The error code. Default `SubscriptionRequestsThrottled` (ARM's own throttling). */
  code?: string;
}

/** How every create in a location fails. */
export interface LocationFailure {
  /** ARM error code, e.g. `QuotaExceeded`, `SkuNotAvailable`, `AllocationFailed`. */
  code: string;
  message?: string;
  /**
   * `sync` (default): the PUT itself is refused with `status` (as quota and SKU checks are);
   * `async`: the PUT is accepted (201) and the operation ends Failed (as allocation failures do).
   */
  mode?: 'sync' | 'async';
  /** HTTP status of a `sync` failure. Default 409. */
  status?: number;
  /** Only creates of these resource types. Default: all types. */
  resourceTypes?: string[];
}

interface PendingThrottle {
  remaining: number;
  spec: ThrottleSpec;
}

/** Throttling, failing and slow locations, and latency, consulted on every ARM request. */
export class ArmFaults {
  private readonly throttles: PendingThrottle[] = [];
  readonly failingLocations = new Map<string, LocationFailure>();
  readonly locationDelays = new Map<string, number>();
  latencyMillis = 0;

  throttleNext(count: number, spec: ThrottleSpec): void {
    if (count > 0) this.throttles.push({ remaining: count, spec });
  }

  clear(): void {
    this.throttles.length = 0;
    this.failingLocations.clear();
    this.locationDelays.clear();
  }

  /** A 429 for this request, if one is due (consumes one). */
  takeThrottle(method: string, resourceType: string | undefined): ArmError | undefined {
    const due = this.throttles.find(
      (t) =>
        (!t.spec.methods || t.spec.methods.some((m) => m.toUpperCase() === method)) &&
        (!t.spec.resourceType || (resourceType !== undefined && t.spec.resourceType.toLowerCase() === resourceType.toLowerCase())),
    );
    if (!due) return undefined;
    if (--due.remaining <= 0) this.throttles.splice(this.throttles.indexOf(due), 1);
    const seconds = due.spec.retryAfterSeconds ?? 1;
    return new ArmError(429, due.spec.code ?? 'SubscriptionRequestsThrottled', `Number of requests for subscription exceeded the limit. Please try again after '${seconds}' seconds.`, {
      headers: { 'Retry-After': String(seconds) },
    });
  }

  /** The configured failure for a create of `type` in `location`, if any. */
  locationFailure(location: string, type: string): LocationFailure | undefined {
    const failure = this.failingLocations.get(location);
    if (!failure) return undefined;
    if (failure.resourceTypes && !failure.resourceTypes.some((t) => t.toLowerCase() === type.toLowerCase())) return undefined;
    return failure;
  }
}
