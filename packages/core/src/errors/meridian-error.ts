/** Stable error codes. Hosts branch on these, never on messages. */
export type MeridianErrorCode =
  | 'INVALID_CONFIG'
  | 'INVALID_ARGUMENT'
  | 'GEO_DATABASE_ERROR'
  | 'REGION_NOT_FOUND'
  | 'REGION_UNAVAILABLE'
  | 'PROVIDER_ERROR'
  | 'PROBE_FAILED'
  | 'ABORTED'
  | 'TIMEOUT'
  | 'SHUT_DOWN'
  | 'FAILOVER_IN_PROGRESS'
  | 'FAILOVER_FAILED'
  | 'NO_ELIGIBLE_REGION'
  | 'MIGRATION_FAILED'
  | 'MIGRATION_IN_PROGRESS'
  | 'SESSION_NOT_FOUND'
  | 'SNAPSHOT_CORRUPT'
  | 'SNAPSHOT_TOO_LARGE'
  | 'PRECONDITION_FAILED'
  | 'STORE_UNAVAILABLE'
  | 'LEASE_LOST'
  | 'LEASE_HELD'
  | 'CLOCK_SKEW'
  | 'SYNC_PROTOCOL_ERROR'
  | 'VALUE_TOO_LARGE'
  | 'READ_ONLY_REGION'
  | 'WEBHOOK_FAILED';

// A global symbol, not a class identity: two copies of @meridian/core in one host
// app still recognise each other's errors (instanceof would not).
const BRAND = Symbol.for('meridian.error');

/** Options accepted by {@link MeridianError}. */
export interface MeridianErrorOptions {
  /** The underlying error, kept for diagnosis. */
  cause?: unknown;
  /** Structured, secret-free details (paths, region ids) for programs to read. */
  details?: Record<string, unknown>;
}

/** The one error family thrown by Meridian packages; branch on `code`. */
export class MeridianError extends Error {
  /** Stable machine-readable code. */
  readonly code: MeridianErrorCode;
  /** Structured details (never secrets). */
  readonly details: Readonly<Record<string, unknown>>;
  private readonly [BRAND] = true;

  constructor(code: MeridianErrorCode, message: string, options: MeridianErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MeridianError';
    this.code = code;
    this.details = options.details ?? {};
  }

  /** True for any MeridianError, even one from another copy of this package. */
  static isInstance(value: unknown): value is MeridianError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** True when `value` is a MeridianError carrying `code`. */
  static hasCode(value: unknown, code: MeridianErrorCode): value is MeridianError {
    return MeridianError.isInstance(value) && value.code === code;
  }
}
