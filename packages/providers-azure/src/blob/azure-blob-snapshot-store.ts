import type { BlockBlobClient } from '@azure/storage-blob';
import { MeridianError, type SnapshotPutResult, type SnapshotStore, type SnapshotWriteOptions, type StoredSnapshot } from '@meridian/core';
import { parseOptions, SNAPSHOT_KEY_PATTERN, throwIfAborted } from '@meridian/core/spi';
import { z } from 'zod';
import { connect, connectionSchema, type AzureBlobConnectionOptions, type BlobConnection } from './blob-connection.js';
import { restStatus, storeError } from './blob-errors.js';
import { ContainerReady } from './container-ready.js';
import { readAll } from './read-all.js';

/** Options of {@link AzureBlobSnapshotStore}. */
export interface AzureBlobSnapshotStoreOptions extends AzureBlobConnectionOptions {
  /** Prepended to every key to form the blob name, e.g. `snapshots/`. Default `''`. */
  prefix?: string;
}

const schema = connectionSchema.extend({ prefix: z.string().regex(/^[A-Za-z0-9._:/-]{0,200}$/, 'must be letters, digits and . _ : / -').default('') });

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || !SNAPSHOT_KEY_PATTERN.test(key)) {
    throw new MeridianError('INVALID_ARGUMENT', `Invalid snapshot key ${JSON.stringify(key)}: must match ${SNAPSHOT_KEY_PATTERN.source}`, { details: { field: 'key' } });
  }
  return key;
}

/**
 * Session snapshots as block blobs in one container. Version tags are the
 * blobs' ETags, so conditions are checked by Blob Storage itself: `ifMatch`
 * is `If-Match` (412 → PRECONDITION_FAILED), `ifNoneMatch: '*'` is
 * `If-None-Match: *` (409/412 → PRECONDITION_FAILED), which makes writers in
 * different regions and processes race safely. A store that cannot be reached
 * is STORE_UNAVAILABLE naming the container and account.
 */
export class AzureBlobSnapshotStore implements SnapshotStore {
  readonly #connection: BlobConnection;
  readonly #container: ContainerReady;
  readonly #prefix: string;

  constructor(options: AzureBlobSnapshotStoreOptions) {
    const o = parseOptions(schema, options, 'AzureBlobSnapshotStore options');
    this.#connection = connect(o, 'AzureBlobSnapshotStore options');
    this.#container = new ContainerReady(this.#connection);
    this.#prefix = o.prefix;
  }

  async put(key: string, bytes: Buffer, options: SnapshotWriteOptions = {}): Promise<SnapshotPutResult> {
    checkKey(key);
    const { signal, ifMatch, ifNoneMatch } = options;
    throwIfAborted(signal, 'SnapshotStore.put');
    try {
      const res = await this.#container.run('write', signal, () =>
        this.#blob(key).upload(bytes, bytes.length, {
          abortSignal: signal,
          conditions: { ifMatch, ifNoneMatch },
          blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
        }),
      );
      return { etag: res.etag! };
    } catch (error) {
      const { status } = restStatus(error);
      if (status === 412 || (ifNoneMatch === '*' && status === 409) || (ifMatch !== undefined && status === 404)) {
        throw new MeridianError('PRECONDITION_FAILED', ifNoneMatch === '*' ? `Snapshot "${key}" already exists (ifNoneMatch: *)` : `Snapshot "${key}" changed or is gone: etag is not ${ifMatch}`, {
          cause: error,
          details: { key },
        });
      }
      throw storeError(error, `write "${key}"`, this.#connection.where, signal);
    }
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<StoredSnapshot | undefined> {
    checkKey(key);
    const { signal } = options;
    throwIfAborted(signal, 'SnapshotStore.get');
    try {
      return await this.#container.run('read', signal, async () => {
        const res = await this.#blob(key).download(0, undefined, { abortSignal: signal });
        return { bytes: await readAll(res.readableStreamBody!, signal), etag: res.etag! };
      });
    } catch (error) {
      if (restStatus(error).status === 404) return undefined;
      throw storeError(error, `read "${key}"`, this.#connection.where, signal);
    }
  }

  async delete(key: string, options: Omit<SnapshotWriteOptions, 'ifNoneMatch'> = {}): Promise<boolean> {
    checkKey(key);
    const { signal, ifMatch } = options;
    throwIfAborted(signal, 'SnapshotStore.delete');
    try {
      await this.#container.run('delete', signal, () => this.#blob(key).delete({ abortSignal: signal, conditions: { ifMatch } }));
      return true;
    } catch (error) {
      const { status } = restStatus(error);
      if (status === 412 || (ifMatch !== undefined && status === 404)) {
        throw new MeridianError('PRECONDITION_FAILED', `Snapshot "${key}" changed or is gone: etag is not ${ifMatch}`, { cause: error, details: { key } });
      }
      if (status === 404) return false;
      throw storeError(error, `delete "${key}"`, this.#connection.where, signal);
    }
  }

  async list(prefix = '', options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const { signal } = options;
    throwIfAborted(signal, 'SnapshotStore.list');
    const keys: string[] = [];
    try {
      await this.#container.run('list', signal, async () => {
        keys.length = 0;
        for await (const item of this.#connection.container.listBlobsFlat({ prefix: this.#prefix + prefix, abortSignal: signal })) {
          const key = item.name.slice(this.#prefix.length);
          if (SNAPSHOT_KEY_PATTERN.test(key)) keys.push(key);
        }
      });
    } catch (error) {
      if (restStatus(error).status === 404) return [];
      throw storeError(error, `list "${prefix}"`, this.#connection.where, signal);
    }
    return keys.sort();
  }

  #blob(key: string): BlockBlobClient {
    return this.#connection.container.getBlockBlobClient(this.#prefix + key);
  }
}
