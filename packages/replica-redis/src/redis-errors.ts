import { MeridianError } from '@meridian/core';
import { throwIfAborted } from '@meridian/core/spi';
import { CallTimeoutError } from './bounded.js';

/** Where a failed call was going, for its message. */
export interface CallContext {
  /** e.g. `RedisReplicaStore.apply`. */
  what: string;
  /** `host:port` of the server. */
  target: string;
  /** The store's key prefix. */
  prefix: string;
  signal?: AbortSignal | undefined;
}

// node-redis classes by name: a host's client may come from another copy of the package, where instanceof fails.
const kind = (error: unknown): string => (error as { constructor?: { name?: string } } | null)?.constructor?.name ?? '';
const SERVER_REPLY = new Set(['ErrorReply', 'SimpleError', 'BlobError']);

/**
 * The MeridianError for something a client call threw: `ABORTED` when the
 * caller's signal fired, `SYNC_PROTOCOL_ERROR` when a key under the prefix
 * holds another type of data, otherwise `STORE_UNAVAILABLE` (refused, reset,
 * timed out, closed, or an error answer such as LOADING or OOM), with the
 * original as `cause`.
 */
export function toStoreError(error: unknown, context: CallContext): MeridianError {
  if (MeridianError.isInstance(error)) return error;
  if (context.signal?.aborted) return caught(() => throwIfAborted(context.signal, context.what));
  const message = String((error as Error)?.message ?? error);
  if (kind(error) === 'AbortError') return new MeridianError('ABORTED', `${context.what} was aborted`, { cause: error });
  if (SERVER_REPLY.has(kind(error)) && message.startsWith('WRONGTYPE')) {
    return new MeridianError(
      'SYNC_PROTOCOL_ERROR',
      `${context.what}: a Redis key under prefix "${context.prefix}" holds another kind of data (${message}); give the store a prefix of its own`,
      { cause: error, details: { prefix: context.prefix } },
    );
  }
  const reason = SERVER_REPLY.has(kind(error))
    ? `answered an error: ${message}`
    : error instanceof CallTimeoutError || kind(error) === 'TimeoutError'
      ? `did not answer in time (${message})`
      : `is unavailable: ${message}`;
  return new MeridianError('STORE_UNAVAILABLE', `${context.what}: Redis at ${context.target} ${reason}`, {
    cause: error,
    details: { target: context.target, prefix: context.prefix },
  });
}

function caught(fn: () => void): MeridianError {
  try {
    fn();
  } catch (error) {
    return error as MeridianError;
  }
  throw new Error('unreachable: the signal was aborted');
}
