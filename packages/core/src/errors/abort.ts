import { MeridianError } from './meridian-error.js';

/** Throws an `ABORTED` MeridianError when `signal` is aborted, keeping its reason as cause. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

/** The error an aborted call rejects with. */
export function abortError(signal: AbortSignal, what: string): MeridianError {
  return new MeridianError('ABORTED', `${what} was aborted`, { cause: signal.reason });
}
