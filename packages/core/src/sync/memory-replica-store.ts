import type { ApplyResult, MerkleSummary, ReplicaCallOptions, ReplicaEntry, ReplicaStore, ReplicaWrite, ScanOptions, ScanPage, StoredRecord } from '../contracts/replica-store.js';
import { throwIfAborted } from '../errors/abort.js';
import { MeridianError } from '../errors/meridian-error.js';
import { lendIndexReads } from './lent-reads.js';
import { ReplicaIndex } from './replica-index.js';

/**
 * Replica data in this process's memory: the default for tests, demos and a
 * single-process host. Everything is lost when the process ends.
 */
export class MemoryReplicaStore implements ReplicaStore {
  readonly #index = new ReplicaIndex();
  #closed = false;

  constructor() {
    lendIndexReads(this, this.#index, (options, what) => this.#check(options, what));
  }

  async getMany(keys: readonly string[], options: ReplicaCallOptions = {}): Promise<Array<StoredRecord | undefined>> {
    this.#check(options, 'getMany');
    return this.#index.getMany(keys);
  }

  async apply(writes: readonly ReplicaWrite[], options: ReplicaCallOptions = {}): Promise<ApplyResult> {
    this.#check(options, 'apply');
    return this.#index.apply(writes);
  }

  async scan(options: ScanOptions & ReplicaCallOptions): Promise<ScanPage> {
    this.#check(options, 'scan');
    return this.#index.scan(options);
  }


  async digest(nodes: readonly string[], options: ReplicaCallOptions = {}): Promise<MerkleSummary[]> {
    this.#check(options, 'digest');
    return this.#index.digest(nodes);
  }

  async entries(nodes: readonly string[], options: ReplicaCallOptions = {}): Promise<ReplicaEntry[]> {
    this.#check(options, 'entries');
    return this.#index.entries(nodes);
  }

  /** Number of keys held (tombstones included). */
  get size(): number {
    return this.#index.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #check(options: ReplicaCallOptions | undefined, what: string): void {
    if (this.#closed) throw new MeridianError('STORE_UNAVAILABLE', `MemoryReplicaStore.${what}: the store is closed`);
    throwIfAborted(options?.signal, `MemoryReplicaStore.${what}`);
  }
}
