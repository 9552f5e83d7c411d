import { MeridianError, type SessionRecord, type SessionRegistry, type SessionRegistryListOptions, type SessionRegistryPage, type SessionRegistryPutOptions } from '@meridian/core';
import { checkListOptions, checkPutOptions, checkSessionId, checkSessionRecord, putConflict, putRefused } from '@meridian/core/spi';
import { RedisCaller } from './redis-caller.js';
import { parseRedisSessionRegistryOptions, type RedisSessionRegistryOptions } from './redis-session-registry-options.js';
import { runScript } from './run-script.js';
import { decodeSessionRecord, encodeSessionRecord, misfiled, unreadableRecord } from './session-record-codec.js';
import { recordKey, regionIndex, sessionRegistryKeys, type SessionRegistryKeys } from './session-registry-keys.js';
import { DELETE_SESSION_SCRIPT, LIST_SESSIONS_SCRIPT, PUT_SESSION_SCRIPT } from './session-registry-scripts.js';

/**
 * A `SessionRegistry` on Redis, shared by every control-plane instance that
 * connects to the same server and prefix (one that takes over lists every
 * session from here). Each `put` is one Lua script that checks core's rule
 * (`ifAbsent`, `expectedEpoch`, an epoch never going down) and writes the
 * record and its id and region indexes together; `delete` likewise, and a
 * `list` page is read by one script, so it is consistent. Keys: see
 * `session-registry-keys.ts` (`<prefix>:sess:<id>` holds the record as JSON).
 */
export class RedisSessionRegistry implements SessionRegistry {
  readonly #caller: RedisCaller;
  readonly #keys: SessionRegistryKeys;

  private constructor(caller: RedisCaller) {
    this.#caller = caller;
    this.#keys = sessionRegistryKeys(caller.prefix);
  }

  /**
   * Validates options (`INVALID_CONFIG`), then connects to `url` or adopts
   * `client`. A server that cannot be reached is `STORE_UNAVAILABLE`.
   */
  static async connect(options: RedisSessionRegistryOptions, callOptions: { signal?: AbortSignal } = {}): Promise<RedisSessionRegistry> {
    const o = parseRedisSessionRegistryOptions(options);
    return new RedisSessionRegistry(await RedisCaller.connect('RedisSessionRegistry', 'registry', o, callOptions.signal));
  }

  /** The key prefix this registry works under. */
  get prefix(): string {
    return this.#keys.prefix;
  }

  async get(id: string, options: { signal?: AbortSignal } = {}): Promise<SessionRecord | undefined> {
    checkSessionId(id);
    const text = await this.#caller.call('get', options.signal, (exec) => exec(['GET', recordKey(this.#keys, id)]));
    return text === null || text === undefined ? undefined : decodeSessionRecord(text, id, this.#keys.prefix);
  }

  async list(options: SessionRegistryListOptions = {}): Promise<SessionRegistryPage> {
    const limit = checkListOptions(options);
    const k = this.#keys;
    const index = options.region === undefined ? k.ids : regionIndex(k, options.region);
    const start = options.after === undefined ? '-' : `(${options.after}`;
    const reply = (await this.#caller.call('list', options.signal, (exec) => runScript(exec, LIST_SESSIONS_SCRIPT, [index], [k.recordPrefix, start, String(limit)]))) as unknown[];
    const records: SessionRecord[] = [];
    for (let i = 1; i < reply.length; i += 2) {
      const record = decodeSessionRecord(reply[i + 1], String(reply[i]), k.prefix);
      // Only a hand edit in Redis could leave a record in another region's index; never return it under this one.
      if (options.region !== undefined && record.region !== options.region) throw misfiled(record, options.region, k.prefix);
      records.push(record);
    }
    return reply[0] === 1 ? { records, next: records.at(-1)!.id } : { records };
  }

  /**
   * Writes under core's rule, atomically on the server; a refusal is
   * `PRECONDITION_FAILED` with the message `MemorySessionRegistry` gives. A
   * put that was sent and then aborted or timed out may have been applied:
   * `get` the record to know.
   */
  async put(record: SessionRecord, options: SessionRegistryPutOptions = {}): Promise<void> {
    const checked = checkSessionRecord(record);
    checkPutOptions(options);
    const k = this.#keys;
    const args = [
      k.regionPrefix,
      checked.id,
      encodeSessionRecord(checked),
      String(checked.epoch),
      checked.region,
      options.ifAbsent ? '1' : '',
      options.expectedEpoch === undefined ? '' : String(options.expectedEpoch),
    ];
    const reply = (await this.#caller.call('put', options.signal, (exec) =>
      runScript(exec, PUT_SESSION_SCRIPT, [recordKey(k, checked.id), k.ids, regionIndex(k, checked.region)], args),
    )) as number[];
    if (reply[0] === 1) return;
    if (reply[0] === -1) throw unreadableRecord(checked.id, k.prefix);
    // The script applied the rule; core's putConflict, given the same stored epoch, says why in the same words.
    const why = putConflict(reply.length > 1 ? { epoch: Number(reply[1]) } : undefined, checked, options);
    if (why === undefined) {
      throw new MeridianError('SYNC_PROTOCOL_ERROR', `RedisSessionRegistry (prefix "${k.prefix}"): the server refused a put of session "${checked.id}" that core's rule allows (answer ${JSON.stringify(reply)})`, {
        details: { source: 'RedisSessionRegistry', key: checked.id, prefix: k.prefix },
      });
    }
    throw putRefused(checked.id, why);
  }

  async delete(id: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    checkSessionId(id);
    const k = this.#keys;
    const outcome = await this.#caller.call('delete', options.signal, (exec) => runScript(exec, DELETE_SESSION_SCRIPT, [recordKey(k, id), k.ids], [k.regionPrefix, id]));
    if (outcome === -1) throw unreadableRecord(id, k.prefix);
    return outcome === 1;
  }

  /**
   * Waits for calls in flight (each bounded by `commandTimeoutMillis`), then
   * closes the connection the registry opened; a client given as `client`
   * stays open for its owner. Idempotent.
   */
  async close(): Promise<void> {
    await this.#caller.close();
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Connects a {@link RedisSessionRegistry}: `createRedisSessionRegistry({ url })`,
 * or `{ client }` to reuse a node-redis client the host already has.
 */
export function createRedisSessionRegistry(options: RedisSessionRegistryOptions, callOptions: { signal?: AbortSignal } = {}): Promise<RedisSessionRegistry> {
  return RedisSessionRegistry.connect(options, callOptions);
}
