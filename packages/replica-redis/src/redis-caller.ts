import { MeridianError } from '@meridian/core';
import { throwIfAborted } from '@meridian/core/spi';
import { bounded } from './bounded.js';
import { describeClient, type RedisClientLike, type RedisCommandOptions } from './redis-client-like.js';
import { connectUrl, type OwnedConnection } from './redis-connection.js';
import type { ParsedRedisConnectionOptions } from './redis-connection-options.js';
import { toStoreError } from './redis-errors.js';
import type { Exec } from './run-script.js';

/**
 * The Redis calls of one object (`RedisReplicaStore`, `RedisSessionRegistry`):
 * fail fast while the client is not ready, bound each command by
 * `commandTimeoutMillis` and the caller's signal, map what the client throws to
 * coded errors, and let `close()` wait for calls in flight. Shared so both
 * objects behave the same when Redis goes away.
 */
export class RedisCaller {
  readonly #name: string;
  readonly #noun: string;
  readonly #client: RedisClientLike;
  readonly #owned: OwnedConnection | undefined;
  readonly #target: string;
  readonly #prefix: string;
  readonly #timeout: number;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closed = false;

  private constructor(name: string, noun: string, client: RedisClientLike, owned: OwnedConnection | undefined, prefix: string, timeout: number) {
    this.#name = name;
    this.#noun = noun;
    this.#client = client;
    this.#owned = owned;
    this.#target = describeClient(client);
    this.#prefix = prefix;
    this.#timeout = timeout;
  }

  /**
   * Connects to `options.url` or adopts `options.client`, for the object
   * called `name` (its class) and `noun` (`store`, `registry`) in messages. A server that cannot be reached is
   * `STORE_UNAVAILABLE`; an aborted signal `ABORTED`.
   */
  static async connect(name: string, noun: string, options: ParsedRedisConnectionOptions, signal: AbortSignal | undefined): Promise<RedisCaller> {
    throwIfAborted(signal, `${name}.connect`);
    if (options.client) return new RedisCaller(name, noun, options.client, undefined, options.prefix, options.commandTimeoutMillis);
    const owned = await connectUrl(options.url!, options.connectTimeoutMillis ?? 5000, signal, `${name}.connect`);
    return new RedisCaller(name, noun, owned.client, owned, options.prefix, options.commandTimeoutMillis);
  }

  /** The key prefix. */
  get prefix(): string {
    return this.#prefix;
  }

  /** `host:port` of the server, for messages (never a password). */
  get target(): string {
    return this.#target;
  }

  /** One Redis round trip (or a few) for method `what`, with the checks and error mapping above. */
  async call<T>(what: string, signal: AbortSignal | undefined, run: (exec: Exec) => Promise<T>): Promise<T> {
    const name = `${this.#name}.${what}`;
    if (this.#closed) throw new MeridianError('STORE_UNAVAILABLE', `${name}: the ${this.#noun} is closed`);
    throwIfAborted(signal, name);
    const context = { what: name, target: this.#target, prefix: this.#prefix, signal };
    if (!this.#client.isReady) {
      const last = this.#owned?.lastError();
      const why = this.#client.isOpen ? `not connected (reconnecting${last ? `: ${last.message}` : ''})` : 'closed by its owner';
      throw new MeridianError('STORE_UNAVAILABLE', `${name}: Redis at ${this.#target} is ${why}`, { cause: last, details: { target: this.#target, prefix: this.#prefix } });
    }
    const command: RedisCommandOptions = { timeout: this.#timeout, typeMapping: {} };
    if (signal) command.abortSignal = signal;
    const exec: Exec = (args) => bounded(this.#client.sendCommand(args, command), signal, this.#timeout);
    const pending = run(exec);
    this.#inFlight.add(pending);
    try {
      return await pending;
    } catch (error) {
      throw toStoreError(error, context);
    } finally {
      this.#inFlight.delete(pending);
    }
  }

  /**
   * Refuses new calls, waits for those in flight (each bounded by
   * `commandTimeoutMillis`), then closes the connection it opened; a client
   * given as `client` stays open for its owner. Idempotent.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    this.#owned?.destroy();
  }
}
