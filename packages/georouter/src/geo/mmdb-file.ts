import type { Reader } from 'maxmind';
import { LruCache } from '../cache/lru-cache.js';
import type { ParsedIp } from '../ip/parse-ip.js';
import { LOCATION_FIELDS, readLocation } from './geo-record.js';
import { MmdbFields } from './mmdb-fields.js';
import { MmdbTree } from './mmdb-tree.js';
import { NOWHERE, Place } from './place.js';

/**
 * One loaded MMDB file: maxmind's reader (whole records, metadata) and the
 * routing path beside it, which walks the tree from the parsed address, decodes
 * only the location fields, and keeps the result per record: MMDB files store
 * each distinct record once and point every network that shares it at the same
 * data offset, so the offset is the key (a file swapped by a reload brings an
 * empty cache of its own).
 */
export class MmdbFile {
  readonly #tree: MmdbTree;
  readonly #fields: MmdbFields;
  /** Data offset → place; at most `cachedRecords` entries, least recently used dropped first. */
  readonly #places: LruCache<Place, number> | undefined;

  constructor(
    readonly reader: Reader<Record<string, unknown>>,
    bytes: Buffer,
    cachedRecords: number,
  ) {
    this.#tree = new MmdbTree(bytes, reader.metadata);
    this.#fields = new MmdbFields(bytes, reader.metadata);
    this.#places = cachedRecords > 0 ? new LruCache(cachedRecords) : undefined;
  }

  /** Where a parsed address is: the same location as `readLocation(reader.get(address))`. */
  place(ip: ParsedIp): Place {
    const offset = ip.version === 4 ? this.#tree.offsetV4(ip.v4!) : this.#tree.offsetV6(ip.v6!);
    if (offset < 0) return NOWHERE;
    const places = this.#places;
    // Records never expire: a file's bytes do not change under its reader.
    const known = places?.get(offset, 0);
    if (known !== undefined) return known;
    const place = new Place(readLocation(this.#fields.read(offset, LOCATION_FIELDS) as Record<string, unknown>));
    places?.set(offset, place, Number.POSITIVE_INFINITY);
    return place;
  }

  /** Records decoded and kept now. */
  get cachedRecords(): number {
    return this.#places?.size ?? 0;
  }
}
