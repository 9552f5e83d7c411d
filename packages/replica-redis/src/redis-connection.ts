import { MeridianError } from '@meridian/core';
import { createClient } from 'redis';
import { bounded } from './bounded.js';
import type { RedisClientLike } from './redis-client-like.js';
import { hostOfUrl } from './redis-client-like.js';

/** A client the store made from a URL, and therefore closes. */
export interface OwnedConnection {
  readonly client: RedisClientLike;
  /** The last connection error the client reported (it keeps reconnecting in the background). */
  lastError(): Error | undefined;
  /** Drops the connection and stops reconnecting. Idempotent. */
  destroy(): void;
}

/** Longest pause between reconnection attempts once connected. */
const MAX_RECONNECT_DELAY_MILLIS = 1000;

/**
 * Connects to `url`; `what` (e.g. `RedisReplicaStore.connect`) starts the
 * messages. A first connection that fails, or is not ready within
 * `connectTimeoutMillis` (a server that accepts but never answers), is
 * `STORE_UNAVAILABLE` at once (no retry loop hidden in a factory); once
 * connected, a lost connection is retried in the background (50 ms doubling to
 * 1 s) while calls fail fast with `STORE_UNAVAILABLE` instead of queueing.
 */
export async function connectUrl(url: string, connectTimeoutMillis: number, signal: AbortSignal | undefined, what: string): Promise<OwnedConnection> {
  let connected = false;
  let last: Error | undefined;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMillis,
      reconnectStrategy: (retries: number, cause: Error) => (connected ? Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MILLIS) : cause),
    },
  });
  // node-redis reports every failed attempt as an 'error' event; without a listener Node would crash the host.
  client.on('error', (error: Error) => {
    last = error;
  });
  const destroy = (): void => {
    if (client.isOpen) client.destroy();
  };
  try {
    // node-redis bounds the TCP connect only; the handshake after it could wait forever.
    await bounded(client.connect(), signal, connectTimeoutMillis, 'connectTimeoutMillis');
  } catch (cause) {
    destroy();
    if (signal?.aborted) throw new MeridianError('ABORTED', `${what} was aborted`, { cause: signal.reason });
    throw new MeridianError('STORE_UNAVAILABLE', `${what}: cannot connect to Redis at ${hostOfUrl(url)}: ${(cause as Error).message}`, {
      cause,
      details: { target: hostOfUrl(url) },
    });
  }
  connected = true;
  return { client, lastError: () => last, destroy };
}
