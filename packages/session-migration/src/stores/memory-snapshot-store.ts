import { type SnapshotPutResult, type SnapshotStore, type SnapshotWriteOptions, type StoredSnapshot } from '@meridian/core';
import { throwIfAborted } from '@meridian/core/spi';
import { checkConditions, checkKey, etagOf } from './store-keys.js';

/** Snapshots in this process's memory: tests, demos, one-process apps. */
export class MemorySnapshotStore implements SnapshotStore {
  readonly #items = new Map<string, StoredSnapshot>();

  async put(key: string, bytes: Buffer, options: SnapshotWriteOptions = {}): Promise<SnapshotPutResult> {
    checkKey(key);
    throwIfAborted(options.signal, 'SnapshotStore.put');
    checkConditions(key, this.#items.get(key)?.etag, options);
    const etag = etagOf(bytes);
    this.#items.set(key, { bytes: Buffer.from(bytes), etag });
    return { etag };
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<StoredSnapshot | undefined> {
    checkKey(key);
    throwIfAborted(options.signal, 'SnapshotStore.get');
    const item = this.#items.get(key);
    return item ? { bytes: Buffer.from(item.bytes), etag: item.etag } : undefined;
  }

  async delete(key: string, options: Omit<SnapshotWriteOptions, 'ifNoneMatch'> = {}): Promise<boolean> {
    checkKey(key);
    throwIfAborted(options.signal, 'SnapshotStore.delete');
    const current = this.#items.get(key)?.etag;
    checkConditions(key, current, options);
    return this.#items.delete(key);
  }

  async list(prefix = '', options: { signal?: AbortSignal } = {}): Promise<string[]> {
    throwIfAborted(options.signal, 'SnapshotStore.list');
    return [...this.#items.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
