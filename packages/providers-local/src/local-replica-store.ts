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
import { checkKeys, checkNodes, checkScan, hasMethods, invalidConfig, parseOptions, throwIfAborted } from '@meridian/core/spi';
import { Agent } from 'undici';
import type { LocalProvider } from './local-provider.js';
import { localReplicaStoreOptionsSchema, type LocalReplicaStoreOptions } from './local-replica-store-options.js';
import { callReplica, type ReplicaCall, type ReplicaTarget } from './replica-http.js';
import { encodeWrites } from './replica-input.js';
import { ReplicaReplies } from './replica-wire.js';

/**
 * A `ReplicaStore` held by a local region process and reached over its
 * `/replica` HTTP API (protocol 2): the region's replicated data lives in that
 * process, so killing, hanging or slowing the region affects it like a real
 * remote store. Create it with {@link createLocalReplicaStore}.
 */
export class LocalReplicaStore implements ReplicaStore {
  readonly #target: ReplicaTarget;
  readonly #replies: ReplicaReplies;
  readonly #ownAgent: Agent | undefined;
  #closed = false;

  /** @internal Use {@link createLocalReplicaStore}. */
  constructor(target: ReplicaTarget, ownAgent: Agent | undefined) {
    this.#target = target;
    this.#replies = new ReplicaReplies(target);
    this.#ownAgent = ownAgent;
  }

  /** How errors name the region: `region "us-east"` or `region at http://…`. */
  get label(): string {
    return this.#target.label;
  }

  async getMany(keys: readonly string[], options: ReplicaCallOptions = {}): Promise<Array<StoredRecord | undefined>> {
    this.#check('getMany', options);
    checkKeys(keys);
    const reply = await this.#call({ what: 'getMany', method: 'POST', path: '/replica/get', body: { keys }, signal: options.signal });
    return this.#replies.getMany(reply, keys);
  }

  async apply(writes: readonly ReplicaWrite[], options: ReplicaCallOptions = {}): Promise<ApplyResult> {
    this.#check('apply', options);
    const wire = encodeWrites(writes);
    const reply = await this.#call({ what: 'apply', method: 'POST', path: '/replica/apply', body: { writes: wire }, signal: options.signal });
    return this.#replies.apply(reply, wire);
  }

  async scan(options: ScanOptions & ReplicaCallOptions): Promise<ScanPage> {
    this.#check('scan', options);
    checkScan(options);
    const query = new URLSearchParams({ since: String(options.since), limit: String(options.limit) });
    if (options.origin !== undefined) query.set('origin', options.origin);
    const reply = await this.#call({ what: 'scan', method: 'GET', path: `/replica/scan?${query}`, signal: options.signal });
    return this.#replies.scan(reply, options.since, options.limit);
  }

  async digest(nodes: readonly string[], options: ReplicaCallOptions = {}): Promise<MerkleSummary[]> {
    this.#check('digest', options);
    checkNodes(nodes);
    if (nodes.length === 0) return [];
    const reply = await this.#call({ what: 'digest', method: 'POST', path: '/replica/digest', body: { nodes }, signal: options.signal });
    return this.#replies.digest(reply, nodes);
  }

  async entries(nodes: readonly string[], options: ReplicaCallOptions = {}): Promise<ReplicaEntry[]> {
    this.#check('entries', options);
    checkNodes(nodes);
    if (nodes.length === 0) return [];
    const reply = await this.#call({ what: 'entries', method: 'POST', path: '/replica/entries', body: { nodes }, signal: options.signal });
    return this.#replies.entries(reply, nodes);
  }

  /** Closes the store's own connections (an injected dispatcher is left open). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ownAgent?.close();
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #call(call: ReplicaCall): Promise<Record<string, unknown>> {
    return callReplica(this.#target, call);
  }

  #check(what: string, options: ReplicaCallOptions | undefined): void {
    if (this.#closed) throw new MeridianError('STORE_UNAVAILABLE', `LocalReplicaStore.${what}: the store is closed`);
    throwIfAborted(options?.signal, `LocalReplicaStore.${what}`);
  }
}

/**
 * The replicated data of a local region, as a `ReplicaStore`: pass the
 * provider and region id (the endpoint is looked up on each call, so a region
 * restored after a kill is found again), or `{ endpoint }` for a region server
 * at a known URL. Bad options are `INVALID_CONFIG`.
 */
export function createLocalReplicaStore(provider: LocalProvider, regionId: string, options?: LocalReplicaStoreOptions): LocalReplicaStore;
/** The replica store of the region server at `options.endpoint`. */
export function createLocalReplicaStore(options: LocalReplicaStoreOptions & { endpoint: string }): LocalReplicaStore;
export function createLocalReplicaStore(
  first: LocalProvider | LocalReplicaStoreOptions,
  regionId?: string,
  options: LocalReplicaStoreOptions = {},
): LocalReplicaStore {
  const where = 'createLocalReplicaStore() options';
  const byProvider = hasMethods(first, ['regions', 'regionIds']);
  const parsed = parseOptions(localReplicaStoreOptionsSchema, byProvider ? options : first, where);
  const issue = (path: string, message: string, value: unknown) => invalidConfig(where, [{ path, message, value: JSON.stringify(value) ?? String(value) }]);
  let label: string;
  let endpoint: () => string | undefined;
  if (byProvider) {
    const provider = first as LocalProvider;
    if (parsed.endpoint !== undefined) throw issue('endpoint', 'give either a provider and region id or an endpoint, not both', parsed.endpoint);
    if (typeof regionId !== 'string' || !provider.regionIds().includes(regionId)) {
      throw issue('regionId', `must be a region of the provider (${provider.regionIds().join(', ')})`, regionId);
    }
    label = `region "${regionId}"`;
    endpoint = () => provider.regions().find((r) => r.id === regionId)?.endpoint;
  } else {
    const url = parsed.endpoint;
    if (url === undefined) throw issue('endpoint', 'required when no provider is given', url);
    label = `region at ${url}`;
    endpoint = () => url;
  }
  const ownAgent = parsed.dispatcher ? undefined : new Agent({ keepAliveTimeout: 10_000 });
  const target: ReplicaTarget = { label, endpoint, dispatcher: parsed.dispatcher ?? ownAgent!, timeoutMillis: parsed.timeoutMillis };
  return new LocalReplicaStore(target, ownAgent);
}
