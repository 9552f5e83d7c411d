import { MeridianError, type MeridianErrorCode } from '@meridian/core';

/** What the provider knows of a failed ARM call. */
export interface ArmFailure {
  /** ARM error code (`QuotaExceeded`, `SkuNotAvailable`, `InvalidParameter` ...), when there is one. */
  armCode?: string;
  /** HTTP status, when the call got an answer. */
  statusCode?: number;
  /** ARM's message (never headers or tokens). */
  message: string;
}

// Codes of errors that never reached a server (node's and core-rest-pipeline's).
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'REQUEST_SEND_ERROR', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);
const LRO_FAILED = /^The long-running operation has failed\.\s+([A-Za-z0-9_.]+)\.\s+([\s\S]*)$/;

/** Reads an SDK error (RestError, an LRO failure, a network error, a credential error). */
export function readArmFailure(error: unknown): ArmFailure {
  const e = (error ?? {}) as { code?: unknown; statusCode?: unknown; message?: unknown; details?: unknown; name?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(error);
  const lro = LRO_FAILED.exec(message);
  if (lro) return { armCode: lro[1]!, message: lro[2]!.trim() };
  const details = (e.details ?? {}) as { error?: { code?: unknown; message?: unknown } };
  const armCode = typeof details.error?.code === 'string' ? details.error.code : typeof e.code === 'string' ? e.code : undefined;
  const armMessage = typeof details.error?.message === 'string' ? details.error.message : message;
  return {
    ...(armCode ? { armCode } : {}),
    ...(typeof e.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
    message: e.name === 'CredentialUnavailableError' || e.name === 'AuthenticationError' ? `authentication failed (${e.name})` : armMessage,
  };
}

/** True for a 404 (resource or resource group not found). */
export function isNotFound(error: unknown): boolean {
  const f = readArmFailure(error);
  return f.statusCode === 404 || f.armCode === 'ResourceGroupNotFound' || f.armCode === 'ResourceNotFound' || f.armCode === 'NotFound';
}

/**
 * A MeridianError naming the region and the ARM code: INVALID_CONFIG for what
 * Azure refused as invalid (400), REGION_UNAVAILABLE when ARM could not be
 * reached (or kept answering 5xx), PROVIDER_ERROR otherwise (quota, SKU,
 * allocation, auth), always with `details.code`. Only ARM's message is kept:
 * never request headers, so never a token.
 */
export function armError(error: unknown, regionId: string | undefined, what: string): MeridianError {
  if (MeridianError.isInstance(error)) return error;
  const f = readArmFailure(error);
  const unreachable = f.statusCode === undefined && f.armCode !== undefined && UNREACHABLE.has(f.armCode);
  const code: MeridianErrorCode = unreachable || (f.statusCode ?? 0) >= 500 ? 'REGION_UNAVAILABLE' : f.statusCode === 400 ? 'INVALID_CONFIG' : 'PROVIDER_ERROR';
  const where = regionId ? `region "${regionId}": ` : '';
  const armCode = f.armCode ?? (f.statusCode ? `HTTP${f.statusCode}` : 'Unknown');
  return new MeridianError(code, `${where}${what} failed: ${armCode}: ${f.message}`, {
    cause: error,
    details: { ...(regionId ? { regionId } : {}), code: armCode, ...(f.statusCode ? { statusCode: f.statusCode } : {}), operation: what },
  });
}
