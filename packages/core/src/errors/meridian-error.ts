import type { MeridianErrorDetailsMap } from './error-details.js';

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
  | 'SESSION_FENCED'
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

/**
 * The `details` of an error with code `C`: the fields {@link MeridianErrorDetailsMap}
 * lists for that code, typed; any other key reads as `unknown` (so code that reads
 * details of an error whose code it has not checked keeps compiling).
 */
export type MeridianErrorDetails<C extends MeridianErrorCode = MeridianErrorCode> = Readonly<MeridianErrorDetailsMap[C]> & Readonly<Record<string, unknown>>;

/** Options accepted by {@link MeridianError}. */
export interface MeridianErrorOptions<C extends MeridianErrorCode = MeridianErrorCode> {
  /** The underlying error, kept for diagnosis. */
  cause?: unknown;
  /** Structured, secret-free details (paths, region ids) for programs to read; their shape follows the code. */
  details?: MeridianErrorDetailsMap[C];
}

/**
 * The one error family thrown by Meridian packages; branch on `code`
 * ({@link MeridianError.hasCode} also types `details`).
 */
export class MeridianError<C extends MeridianErrorCode = MeridianErrorCode> extends Error {
  /** Stable machine-readable code. */
  readonly code: C;
  /** Structured details (never secrets), shaped by `code`. */
  readonly details: MeridianErrorDetails<C>;
  private readonly [BRAND] = true;

  constructor(code: C, message: string, options: MeridianErrorOptions<C> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MeridianError';
    this.code = code;
    this.details = (options.details ?? {}) as MeridianErrorDetails<C>;
  }

  /** True for any MeridianError, even one from another copy of this package. */
  static isInstance(value: unknown): value is MeridianError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** True when `value` is a MeridianError carrying `code`; narrows `details` to that code's shape. */
  static hasCode<K extends MeridianErrorCode>(value: unknown, code: K): value is MeridianError<K> {
    return MeridianError.isInstance(value) && value.code === code;
  }
}

// Every code has a details shape and every shape a code.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const everyCodeHasDetails: Same<keyof MeridianErrorDetailsMap, MeridianErrorCode> = true;
void everyCodeHasDetails;
