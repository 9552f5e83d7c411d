import { MeridianError } from '@meridian/core';

/** An error answered with its own status and code (routes, bodies, auth). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const STATUS_OF_CODE: Record<string, number> = {
  INVALID_CONFIG: 400,
  INVALID_ARGUMENT: 400,
  REGION_NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  SESSION_FENCED: 409,
  FAILOVER_IN_PROGRESS: 409,
  MIGRATION_IN_PROGRESS: 409,
  PRECONDITION_FAILED: 409,
  LEASE_LOST: 409,
  LEASE_HELD: 409,
  REGION_UNAVAILABLE: 409,
  NO_ELIGIBLE_REGION: 409,
  READ_ONLY_REGION: 409,
};

/** The JSON body and status an error is answered with; never a stack, never a secret. */
export function errorBody(error: unknown): { status: number; body: { error: { code: string; message: string; details?: Record<string, unknown> } } } {
  if (error instanceof HttpError) {
    return { status: error.status, body: { error: { code: error.code, message: error.message, ...(Object.keys(error.details).length ? { details: error.details } : {}) } } };
  }
  if (MeridianError.isInstance(error)) {
    const details = Object.keys(error.details).length ? { details: { ...error.details } } : {};
    return { status: STATUS_OF_CODE[error.code] ?? 500, body: { error: { code: error.code, message: error.message, ...details } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } } };
}
