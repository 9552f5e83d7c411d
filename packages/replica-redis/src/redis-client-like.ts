/** Per-command options the store passes to the client (node-redis `CommandOptions`). */
export interface RedisCommandOptions {
  /** Rejects the command (not yet answered) when aborted. */
  abortSignal?: AbortSignal;
  /** Rejects the command after this many milliseconds. */
  timeout?: number;
  /** Reply types; the store passes `{}` so a host's client mapping (e.g. to Buffer) does not change what it reads. */
  typeMapping?: object;
}

/**
 * The part of a node-redis (v5) client the store uses: any `createClient()`
 * result fits, so a host can pass the client it already has.
 */
export interface RedisClientLike {
  /** True from `connect()` until the client is closed or destroyed. */
  readonly isOpen: boolean;
  /** True while connected and able to run commands. */
  readonly isReady: boolean;
  /** Sends one command as raw arguments. */
  sendCommand(args: readonly string[], options?: RedisCommandOptions): Promise<unknown>;
}

/** `host:port` of a client's server, for messages (never its URL: that may hold a password). */
export function describeClient(client: RedisClientLike): string {
  const options = (client as { options?: { url?: unknown; socket?: { host?: unknown; port?: unknown; path?: unknown } } }).options;
  const socket = options?.socket;
  if (typeof socket?.path === 'string') return socket.path;
  if (typeof socket?.host === 'string' || typeof socket?.port === 'number') return `${String(socket?.host ?? 'localhost')}:${String(socket?.port ?? 6379)}`;
  if (typeof options?.url === 'string') return hostOfUrl(options.url);
  return 'the given Redis client';
}

/** `host:port` of a redis:// URL, without user or password. */
export function hostOfUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '6379'}`;
  } catch {
    return 'Redis';
  }
}
