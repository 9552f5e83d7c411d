import { MeridianError } from '@meridian/core';

/** HTTP status and storage error code of an SDK error (RestError), if it has them. */
export function restStatus(error: unknown): { status: number | undefined; code: string | undefined } {
  const e = error as { statusCode?: number; code?: string; details?: { errorCode?: string } } | undefined;
  return { status: e?.statusCode, code: e?.details?.errorCode ?? e?.code };
}

/** True for the SDK's abort error (or any error raised after `signal` fired). */
export function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error as Error | undefined)?.name === 'AbortError';
}

/**
 * The error a call rejects with when the SDK failed: ABORTED for an abort,
 * otherwise STORE_UNAVAILABLE naming the operation and the container and
 * account (status and storage code only: messages and URLs may carry a SAS).
 */
export function storeError(error: unknown, what: string, where: string, signal: AbortSignal | undefined): MeridianError {
  if (MeridianError.isInstance(error)) return error;
  if (isAbort(error, signal)) return new MeridianError('ABORTED', `${what} was aborted`, { cause: signal?.reason ?? error });
  const { status, code } = restStatus(error);
  const hint = status === 403 || status === 401 ? ': the credential was refused (it needs the "Storage Blob Data Contributor" role, or a valid key/SAS)' : '';
  return new MeridianError('STORE_UNAVAILABLE', `Azure Blob store could not ${what} in ${where}: ${[status, code].filter((v) => v !== undefined).join(' ') || 'no answer'}${hint}`, {
    cause: error,
    details: { status, code },
  });
}
