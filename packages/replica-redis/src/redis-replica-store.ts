import {
  MeridianError,
  type ApplyResult,
  type MerkleSummary,
  type ReplicaCallOptions,
  type ReplicaEntry,
  type ReplicaStore,
  type ReplicaWrite,
  type ScanOptions,
  type ScanPage,
  type StoredRecord,
} from '@meridian/core';
import { checkKeys, checkNodes, checkScan, checkWrites, isSummary, MERKLE_LEAF_DEPTH, parseNode, throwIfAborted } from '@meridian/core/spi';
import { APPLY_SCRIPT, DIGEST_SCRIPT, ENTRIES_SCRIPT, SCAN_SCRIPT } from './lua-scripts.js';
import { RedisCaller } from './redis-caller.js';
import { originLog, redisKeys, type RedisKeys } from './redis-keys.js';
import { parseRedisReplicaStoreOptions, type RedisReplicaStoreOptions } from './redis-replica-store-options.js';
import { readEntry, readRecord, writeArgs } from './record-codec.js';
import { runScript, type Exec } from './run-script.js';

// Writes per script call: bounds how long one call holds the (single-threaded) server.
const WRITES_PER_CALL = 500;

/**
 * A `ReplicaStore` on Redis. Every write is a compare-and-set on the record's
 * etag, run atomically on the server by a Lua script that also assigns the
 * change sequence and keeps the per-origin change logs and the anti-entropy
 * tree's leaves; tree summaries are computed (and cached) on the server, so
 * anti-entropy never pulls the entries to the client. Several store objects, in one process or many,
 * may share a prefix.
 */
export class RedisReplicaStore implements ReplicaStore {
  readonly #caller: RedisCaller;
  readonly #keys: RedisKeys;

  private constructor(caller: RedisCaller) {
    this.#caller = caller;
    this.#keys = redisKeys(caller.prefix);
  }

  /**
   * Validates options (`INVALID_CONFIG`), then connects to `url` or adopts
   * `client`. A server that cannot be reached is `STORE_UNAVAILABLE`.
   */
  static async connect(options: RedisReplicaStoreOptions, callOptions: ReplicaCallOptions = {}): Promise<RedisReplicaStore> {
    const o = parseRedisReplicaStoreOptions(options);
    return new RedisReplicaStore(await RedisCaller.connect('RedisReplicaStore', 'store', o, callOptions.signal));
  }

  /** The key prefix this store works under. */
  get prefix(): string {
    return this.#keys.prefix;
  }

  async getMany(keys: readonly string[], options: ReplicaCallOptions = {}): Promise<Array<StoredRecord | undefined>> {
    checkKeys(keys);
    const texts = await this.#call('getMany', options, (exec) => (keys.length === 0 ? Promise.resolve([]) : exec(['HMGET', this.#keys.records, ...keys])));
    return keys.map((key, i) => {
      const text = (texts as unknown[])[i];
      return text === null || text === undefined ? undefined : readRecord(text, key, this.#keys.prefix);
    });
  }

  async apply(writes: readonly ReplicaWrite[], options: ReplicaCallOptions = {}): Promise<ApplyResult> {
    checkWrites(writes);
    const k = this.#keys;
    return this.#call('apply', options, async (exec) => {
      const result: ApplyResult = { applied: [], rejected: [] };
      for (let start = 0; start < writes.length; start += WRITES_PER_CALL) {
        if (start > 0) throwIfAborted(options.signal, 'RedisReplicaStore.apply');
        const chunk = writes.slice(start, start + WRITES_PER_CALL);
        const args = [k.prefix, ...chunk.flatMap(writeArgs)];
        const outcome = (await runScript(exec, APPLY_SCRIPT, [k.seq, k.records, k.origins, k.log, k.digests], args)) as number[];
        chunk.forEach((w, i) => (outcome[i] === 1 ? result.applied : result.rejected).push(w.key));
      }
      return result;
    });
  }

  async scan(options: ScanOptions & ReplicaCallOptions): Promise<ScanPage> {
    checkScan(options);
    const k = this.#keys;
    const log = options.origin === undefined ? k.log : originLog(k, options.origin);
    const reply = (await this.#call('scan', options, (exec) =>
      runScript(exec, SCAN_SCRIPT, [k.seq, k.records, log], [String(options.since), String(options.limit)]),
    )) as unknown[];
    const records: StoredRecord[] = [];
    for (let i = 2; i < reply.length; i += 2) records.push(readRecord(reply[i + 1], String(reply[i]), k.prefix));
    return { records, remaining: Number(reply[1]), head: Number(reply[0]) };
  }

  async digest(nodes: readonly string[], options: ReplicaCallOptions = {}): Promise<MerkleSummary[]> {
    checkNodes(nodes);
    const wanted = [...new Set(nodes)];
    const k = this.#keys;
    const reply = (await this.#call('digest', options, (exec) =>
      wanted.length === 0 ? Promise.resolve([]) : runScript(exec, DIGEST_SCRIPT, [k.digests], [k.prefix, String(MERKLE_LEAF_DEPTH), ...nodeArgs(wanted)]),
    )) as unknown[];
    const found = new Map<string, MerkleSummary>();
    wanted.forEach((node, i) => {
      const summary = [reply[2 * i], reply[2 * i + 1]];
      if (!isSummary(summary)) {
        throw new MeridianError('SYNC_PROTOCOL_ERROR', `RedisReplicaStore (prefix "${k.prefix}"): malformed summary ${JSON.stringify(summary)} for node "${node}"`);
      }
      found.set(node, summary);
    });
    return nodes.map((node) => found.get(node)!);
  }

  async entries(nodes: readonly string[], options: ReplicaCallOptions = {}): Promise<ReplicaEntry[]> {
    checkNodes(nodes);
    const wanted = [...new Set(nodes)];
    const k = this.#keys;
    const flat = (await this.#call('entries', options, (exec) =>
      wanted.length === 0 ? Promise.resolve([]) : runScript(exec, ENTRIES_SCRIPT, [], [k.prefix, String(MERKLE_LEAF_DEPTH), ...nodeArgs(wanted)]),
    )) as unknown[];
    const out: ReplicaEntry[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push(readEntry(flat[i], flat[i + 1], k.prefix));
    return out;
  }

  /**
   * Waits for calls in flight (each bounded by `commandTimeoutMillis`), then
   * closes the connection the store opened; a client given as `client` stays
   * open for its owner. Idempotent.
   */
  async close(): Promise<void> {
    await this.#caller.close();
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #call<T>(what: string, options: ReplicaCallOptions | undefined, run: (exec: Exec) => Promise<T>): Promise<T> {
    return this.#caller.call(what, options?.signal, run);
  }
}

/** A tree script's arguments for checked node names: hex and bits per node. */
function nodeArgs(nodes: readonly string[]): string[] {
  return nodes.flatMap((name) => {
    const node = parseNode(name)!;
    return [node.hex, String(node.bits)];
  });
}

/**
 * Connects a {@link RedisReplicaStore}: `createRedisReplicaStore({ url })`,
 * or `{ client }` to reuse a node-redis client the host already has.
 */
export function createRedisReplicaStore(options: RedisReplicaStoreOptions, callOptions: ReplicaCallOptions = {}): Promise<RedisReplicaStore> {
  return RedisReplicaStore.connect(options, callOptions);
}
