import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { MeridianError } from '@meridian/core';
import { Reader } from 'maxmind';
import { readLocation, type ClientLocation } from './geo-record.js';

/** What the database file says about itself. */
export interface GeoDatabaseInfo {
  /** Where it was read from (`(buffer)` for in-memory databases). */
  source: string;
  /** `database_type` from the metadata, e.g. `DBIP-City-Lite` or `GeoLite2-City`. */
  databaseType: string;
  /** 4 or 6. */
  ipVersion: number;
  /** Build time, epoch ms. */
  builtAt: number;
  /** Nodes in the search tree. */
  nodeCount: number;
}

function load(bytes: Buffer, source: string): Reader<Record<string, unknown>> {
  try {
    const reader = new Reader<Record<string, unknown>>(bytes);
    if (!reader.metadata || typeof reader.metadata.nodeCount !== 'number') throw new Error('no metadata');
    return reader;
  } catch (error) {
    throw new MeridianError('GEO_DATABASE_ERROR', `${source} is not a valid MaxMind DB (MMDB) file: ${(error as Error).message}`, {
      cause: error,
      details: { source },
    });
  }
}

async function readSource(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MeridianError('GEO_DATABASE_ERROR', `Cannot read the geo database at ${path}: ${code ?? (error as Error).message}`, {
      cause: error,
      details: { source: path, code },
    });
  }
}

/**
 * An MMDB file behind `maxmind`'s reader, swappable while serving: `reload()`
 * reads and validates the new file first and swaps only when it is good, so a
 * lookup never sees a half-loaded database and a bad file never replaces a good one.
 */
export class GeoDatabase {
  #reader: Reader<Record<string, unknown>>;
  #watcher: FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;

  private constructor(
    reader: Reader<Record<string, unknown>>,
    private readonly source: string,
    private readonly path: string | undefined,
  ) {
    this.#reader = reader;
  }

  /** Opens a file; GEO_DATABASE_ERROR (naming the path) when missing or not an MMDB. */
  static async open(path: string): Promise<GeoDatabase> {
    return new GeoDatabase(load(await readSource(path), path), path, path);
  }

  /** Uses bytes already in memory (tests, embedded databases). */
  static fromBuffer(bytes: Buffer): GeoDatabase {
    return new GeoDatabase(load(bytes, '(buffer)'), '(buffer)', undefined);
  }

  /** Metadata of the database in use. */
  info(): GeoDatabaseInfo {
    const m = this.#reader.metadata;
    return { source: this.source, databaseType: m.databaseType, ipVersion: m.ipVersion, builtAt: m.buildEpoch.getTime(), nodeCount: m.nodeCount };
  }

  /** The raw record for an address (as maxmind returns it), or null. */
  record(address: string): Record<string, unknown> | null {
    return this.#reader.get(address);
  }

  /** The client's location, or undefined when the database has no record. */
  locate(address: string): ClientLocation | undefined {
    return readLocation(this.#reader.get(address));
  }

  /** Reads the file again and swaps it in when valid; the old one keeps serving otherwise. */
  async reload(): Promise<GeoDatabaseInfo> {
    if (!this.path) throw new MeridianError('INVALID_ARGUMENT', 'An in-memory geo database cannot be reloaded from disk');
    this.#reader = load(await readSource(this.path), this.path);
    return this.info();
  }

  /** Reloads on file changes (debounced), reporting each outcome. Idempotent. */
  watch(onReload: (result: { ok: true; info: GeoDatabaseInfo } | { ok: false; error: MeridianError }) => void, debounceMillis = 250): void {
    if (!this.path || this.#watcher) return;
    this.#watcher = watch(this.path, { persistent: false }, () => {
      clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => {
        this.reload().then(
          (info) => onReload({ ok: true, info }),
          (error: MeridianError) => onReload({ ok: false, error }),
        );
      }, debounceMillis);
      this.#debounce.unref();
    });
  }

  /** Stops watching. Idempotent. */
  close(): void {
    clearTimeout(this.#debounce);
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
