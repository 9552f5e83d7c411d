import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/clock.js';
import type { ReplicaRecord, ReplicaStore } from '../contracts/replica-store.js';
import { throwIfAborted } from '../errors/abort.js';
import { MeridianError } from '../errors/meridian-error.js';
import { HybridLogicalClock } from './hlc.js';
import { checkKey, checkValue } from './replica-record.js';
import { mergeVectors } from './version-vector.js';

/** Options of {@link ReplicaWriter}. */
export interface ReplicaWriterOptions {
  /** Region the store belongs to. */
  regionId: string;
  /** The region's store. */
  store: ReplicaStore;
  /**
   * The writer's clock. Give each writer process its own `writerId` (or its own
   * HLC) so two writers in one region never mint the same timestamp.
   */
  hlc?: HybridLogicalClock;
  /** Suffix of the HLC node id (`region/writerId`) when `hlc` is not given. */
  writerId?: string;
  /** Physical time for the HLC. Default the system clock. */
  clock?: Clock;
  /** Largest value, in bytes of JSON. Default 262144 (256 KiB). */
  maxValueBytes?: number;
  /** Compare-and-set attempts before giving up under contention. Default 16. */
  maxAttempts?: number;
}

/** Acknowledgement of a write: it is durable in the region's store. */
export interface WriteAck {
  /** The key. */
  key: string;
  /** Region written. */
  regionId: string;
  /** HLC version of the write. */
  version: string;
}

/**
 * Writes keyed data into one region's store with the metadata replication
 * needs: an HLC version, the origin region, and a version vector extended from
 * the record it replaces (a compare-and-set, so concurrent writers in the same
 * region are ordered, never lost). This is what an application in a region
 * uses; the Syncer then carries the writes to the other regions.
 */
export class ReplicaWriter {
  /** Region this writer writes in. */
  readonly regionId: string;
  readonly #store: ReplicaStore;
  readonly #hlc: HybridLogicalClock;
  readonly #maxValueBytes: number;
  readonly #maxAttempts: number;

  constructor(options: ReplicaWriterOptions) {
    if (typeof options?.regionId !== 'string' || options.regionId.length === 0) throw new MeridianError('INVALID_CONFIG', 'Invalid ReplicaWriter options:\n  - regionId: must be a non-empty string');
    if (!options.store || typeof options.store.apply !== 'function') throw new MeridianError('INVALID_CONFIG', 'Invalid ReplicaWriter options:\n  - store: must be a ReplicaStore');
    this.regionId = options.regionId;
    this.#store = options.store;
    this.#hlc = options.hlc ?? new HybridLogicalClock({ node: options.writerId ? `${options.regionId}/${options.writerId}` : options.regionId, clock: options.clock ?? systemClock });
    this.#maxValueBytes = options.maxValueBytes ?? 262_144;
    this.#maxAttempts = options.maxAttempts ?? 16;
  }

  /** Stores `value` under `key`. Resolves once the region's store has it. */
  async put(key: string, value: unknown, options: { signal?: AbortSignal } = {}): Promise<WriteAck> {
    checkKey(key);
    checkValue(key, value, this.#maxValueBytes);
    return this.#write(key, { deleted: false, value: JSON.parse(JSON.stringify(value)) as unknown }, false, options.signal);
  }

  /** Deletes `key` (a tombstone that replicates). */
  async delete(key: string, options: { signal?: AbortSignal } = {}): Promise<WriteAck> {
    checkKey(key);
    return this.#write(key, { deleted: true }, false, options.signal);
  }

  /**
   * Settles a key's pending conflicts (manual policy) with `value` (or a delete):
   * a new version that supersedes every version it had. `PRECONDITION_FAILED`
   * when this region holds no conflict for the key.
   */
  async resolve(key: string, outcome: { value: unknown } | { deleted: true }, options: { signal?: AbortSignal } = {}): Promise<WriteAck> {
    checkKey(key);
    const next = 'deleted' in outcome && outcome.deleted === true ? { deleted: true } : { deleted: false, value: (outcome as { value: unknown }).value };
    if (!next.deleted) checkValue(key, next.value, this.#maxValueBytes);
    return this.#write(key, next, true, options.signal);
  }

  /** The current value (undefined when absent or deleted). */
  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<unknown> {
    checkKey(key);
    const [record] = await this.#store.getMany([key], options);
    return record && !record.deleted ? record.value : undefined;
  }

  async #write(key: string, next: { deleted: boolean; value?: unknown }, resolving: boolean, signal: AbortSignal | undefined): Promise<WriteAck> {
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      throwIfAborted(signal, `write of "${key}"`);
      const [current] = await this.#store.getMany([key], { signal });
      if (resolving && !current?.conflicts?.length) {
        throw new MeridianError('PRECONDITION_FAILED', `"${key}" has no pending conflict in ${this.regionId}`, { details: { key, regionId: this.regionId } });
      }
      const ownBefore = current?.vv[this.regionId];
      for (const seen of current ? [current.version, ownBefore] : []) {
        // Causality: our version must order after what we overwrite. A far-future
        // version is refused by the HLC; the vector still records the order.
        if (seen === undefined) continue;
        try {
          this.#hlc.receive(seen);
        } catch (error) {
          if (!MeridianError.hasCode(error, 'CLOCK_SKEW')) throw error;
        }
      }
      const version = this.#hlc.now();
      if (ownBefore !== undefined && version <= ownBefore) {
        throw new MeridianError('CLOCK_SKEW', `"${key}" was last written in ${this.regionId} at a version ahead of this writer's clock by more than maxClockSkewMillis; fix the clock of the writer that wrote ${ownBefore.slice(0, 22)}`, {
          details: { key, regionId: this.regionId },
        });
      }
      const record: ReplicaRecord = {
        key,
        deleted: next.deleted,
        version,
        origin: this.regionId,
        vv: mergeVectors(current?.vv ?? {}, { [this.regionId]: version }),
      };
      if (!next.deleted) record.value = next.value;
      // A plain write keeps pending conflicts: only resolve() settles them.
      if (!resolving && current?.conflicts?.length) record.conflicts = current.conflicts;
      const result = await this.#store.apply([{ key, record, expected: current?.etag ?? null }], { signal });
      if (result.applied.includes(key)) return { key, regionId: this.regionId, version };
    }
    throw new MeridianError('PRECONDITION_FAILED', `write of "${key}" in ${this.regionId} lost ${this.#maxAttempts} compare-and-set races in a row; retry later`, {
      details: { key, regionId: this.regionId },
    });
  }
}
