import { MeridianError, type SessionRecord, type SessionRegistry, type SessionRegistryListOptions, type SessionRegistryPage, type SessionRegistryPutOptions, type SnapshotStore } from '@meridian/core';
import { checkListOptions, checkPutOptions, checkSessionId, checkSessionRecord, decodeStoredRecord, pageOfRecords, putConflict, putRefused, throwIfAborted } from '@meridian/core/spi';

/** Keys of registry records in the store: beside checkpoints (`ckpt.`) and migration snapshots (`mig.`), which a sweep never takes for them. */
export const REGISTRY_KEY_PREFIX = 'reg.';

// A put that lost a race to another writer of the same record reads it again and decides again; this bounds it.
const PUT_ATTEMPTS = 10;

/**
 * A `SessionRegistry` kept in a `SnapshotStore`: one record per
 * session (JSON, key `reg.<id>`), written with the store's conditions
 * (`ifNoneMatch` for a new record, `ifMatch` on the etag read), so a put is
 * decided on the record it replaces, whoever else writes. A control plane
 * that keeps its checkpoints in a directory (`FileSnapshotStore`) or a blob
 * container keeps its registry there too, and a restarted one reads every
 * session back with `migrator.load()`.
 *
 * Its conditions are as atomic as the store's: a `FileSnapshotStore`'s hold
 * within one process (the CLI runs one agent per directory); a registry
 * shared by several control planes at once is `RedisSessionRegistry`, or this
 * one over a store whose service enforces the conditions (Azure Blob).
 *
 * Records are not encrypted (metadata never holds secrets). A stored value
 * that is not a record of this registry is `SYNC_PROTOCOL_ERROR` naming the
 * key; the store's own errors (`STORE_UNAVAILABLE`) pass through.
 */
export class SnapshotStoreSessionRegistry implements SessionRegistry {
  readonly #store: SnapshotStore;

  constructor(store: SnapshotStore) {
    if (store === null || typeof store !== 'object' || typeof store.put !== 'function' || typeof store.list !== 'function') {
      throw new MeridianError('INVALID_ARGUMENT', 'SnapshotStoreSessionRegistry needs a SnapshotStore (put, get, delete, list)', { details: { field: 'store' } });
    }
    this.#store = store;
  }

  async get(id: string, options: { signal?: AbortSignal } = {}): Promise<SessionRecord | undefined> {
    throwIfAborted(options.signal, 'session registry call');
    checkSessionId(id);
    return (await this.#read(id, options.signal))?.record;
  }

  async list(options: SessionRegistryListOptions = {}): Promise<SessionRegistryPage> {
    throwIfAborted(options.signal, 'session registry call');
    const limit = checkListOptions(options);
    const signal = options.signal ? { signal: options.signal } : {};
    const ids = (await this.#store.list(REGISTRY_KEY_PREFIX, signal)).map((key) => key.slice(REGISTRY_KEY_PREFIX.length));
    return pageOfRecords(ids, options, limit, async (id) => (await this.#read(id, options.signal))?.record);
  }

  async put(record: SessionRecord, options: SessionRegistryPutOptions = {}): Promise<void> {
    throwIfAborted(options.signal, 'session registry call');
    const checked = checkSessionRecord(record);
    checkPutOptions(options);
    const bytes = Buffer.from(JSON.stringify(checked));
    for (let attempt = 1; ; attempt++) {
      const current = await this.#read(checked.id, options.signal);
      const why = putConflict(current?.record, checked, options);
      if (why) throw putRefused(checked.id, why);
      try {
        await this.#store.put(keyOf(checked.id), bytes, { ...(current ? { ifMatch: current.etag } : { ifNoneMatch: '*' as const }), ...(options.signal ? { signal: options.signal } : {}) });
        return;
      } catch (error) {
        // Another writer replaced it between the read and the write: decided again on what it wrote.
        if (!MeridianError.hasCode(error, 'PRECONDITION_FAILED') || attempt === PUT_ATTEMPTS) throw error;
      }
    }
  }

  async delete(id: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    throwIfAborted(options.signal, 'session registry call');
    checkSessionId(id);
    return this.#store.delete(keyOf(id), options.signal ? { signal: options.signal } : {});
  }

  async #read(id: string, signal: AbortSignal | undefined): Promise<{ record: SessionRecord; etag: string } | undefined> {
    const stored = await this.#store.get(keyOf(id), signal ? { signal } : {});
    if (!stored) return undefined;
    return { record: decode(stored.bytes, id), etag: stored.etag };
  }
}

function keyOf(id: string): string {
  return `${REGISTRY_KEY_PREFIX}${id}`;
}

// A stored value read back and checked as a put checks it; anything else names the key.
function decode(bytes: Buffer, id: string): SessionRecord {
  return decodeStoredRecord(bytes.toString('utf8'), id, (why, cause) =>
    new MeridianError('SYNC_PROTOCOL_ERROR', `session registry record "${keyOf(id)}" in the snapshot store: ${why}`, { cause, details: { source: 'SnapshotStoreSessionRegistry', key: keyOf(id) } }),
  );
}
