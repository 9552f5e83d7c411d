import type { Reader } from 'maxmind';

type Metadata = Reader<Record<string, unknown>>['metadata'];

/** Fields to decode from a record: `true` for a whole value, or a selection inside a map. */
export type FieldSelection = ReadonlyMap<string, FieldSelection | true>;

/** Builds a {@link FieldSelection} from a nested object (a Map: no prototype key such as `constructor` can match). */
export function selectFields(fields: { [key: string]: true | object }): FieldSelection {
  return new Map(Object.entries(fields).map(([key, value]) => [key, value === true ? true : selectFields(value as { [key: string]: true | object })]));
}

// MMDB data types (MaxMind DB format 2.0, "Output Data Section").
const POINTER = 1;
const UTF8_STRING = 2;
const DOUBLE = 3;
const BYTES = 4;
const UINT16 = 5;
const UINT32 = 6;
const MAP = 7;
const INT32 = 8;
const UINT64 = 9;
const UINT128 = 10;
const ARRAY = 11;
const BOOLEAN = 14;
const FLOAT = 15;

/**
 * Decodes only the selected fields of an MMDB record; the others are skipped by
 * their sizes, without building strings or objects (a DB-IP City Lite record has
 * eight fields, routing reads four). A selected value is decoded as maxmind's
 * reader decodes it, so a location read from the partial record equals one read
 * from `reader.get()`. Pointers are followed only for selected values and keys.
 */
export class MmdbFields {
  readonly #db: Buffer;
  readonly #pointerBase: number;
  /** Where the value decoded or skipped last ends: a field, not a returned pair, so decoding allocates only values. */
  #end = 0;
  /** Set by #header: a payload's size, or a pointer's target. */
  #length = 0;

  constructor(db: Buffer, metadata: Metadata) {
    this.#db = db;
    // Pointers count from the start of the data section, after the tree and the 16-byte separator.
    this.#pointerBase = metadata.searchTreeSize + 16;
  }

  /** The record at a file offset, with only `selection`'s fields when it is a map. */
  read(offset: number, selection: FieldSelection): unknown {
    return this.#decode(offset, selection);
  }

  #decode(at: number, selection: FieldSelection | undefined): unknown {
    const db = this.#db;
    const type = this.#header(at);
    if (type === POINTER) {
      const next = this.#end;
      const value = this.#decode(this.#length, selection);
      this.#end = next;
      return value;
    }
    const size = this.#length;
    let offset = this.#end;
    switch (type) {
      case MAP:
        return this.#map(offset, size, selection);
      case ARRAY: {
        const array = new Array<unknown>(size);
        for (let i = 0; i < size; i++) {
          array[i] = this.#decode(offset, undefined);
          offset = this.#end;
        }
        this.#end = offset;
        return array;
      }
      case BOOLEAN:
        this.#end = offset;
        return size !== 0;
    }
    this.#end = offset + size;
    switch (type) {
      case UTF8_STRING:
        return db.toString('utf8', offset, offset + size);
      case DOUBLE:
        return db.readDoubleBE(offset);
      case FLOAT:
        return db.readFloatBE(offset);
      case BYTES:
        return db.subarray(offset, offset + size);
      case UINT16:
      case UINT32:
        if (size > 4) throw new Error(`Invalid size for unsigned integer: ${size}`);
        return size === 0 ? 0 : db.readUIntBE(offset, size);
      case INT32:
        return size === 0 ? 0 : size < 4 ? db.readUIntBE(offset, size) : db.readInt32BE(offset);
      case UINT64:
      case UINT128: {
        if (size > 16) throw new Error(`Invalid size for big unsigned integer: ${size}`);
        let integer = 0n;
        for (let i = 0; i < size; i++) integer = (integer << 8n) | BigInt(db[offset + i]!);
        return integer;
      }
    }
    throw new Error(`Unknown type ${type} at offset ${offset}`);
  }

  #map(at: number, size: number, selection: FieldSelection | undefined): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    let offset = at;
    for (let i = 0; i < size; i++) {
      const key = this.#decode(offset, undefined) as string;
      offset = this.#end;
      const wanted = selection === undefined ? true : selection.get(key);
      if (wanted === undefined) {
        offset = this.#skip(offset);
        continue;
      }
      map[key] = this.#decode(offset, wanted === true ? undefined : wanted);
      offset = this.#end;
    }
    this.#end = offset;
    return map;
  }

  /** The offset after the value at `at`, without decoding it (a pointer is not followed). */
  #skip(at: number): number {
    const type = this.#header(at);
    if (type === POINTER) return this.#end;
    const size = this.#length;
    let offset = this.#end;
    switch (type) {
      case MAP:
        for (let i = 0; i < 2 * size; i++) offset = this.#skip(offset);
        return offset;
      case ARRAY:
        for (let i = 0; i < size; i++) offset = this.#skip(offset);
        return offset;
      case BOOLEAN:
        return offset;
      case UTF8_STRING:
      case DOUBLE:
      case FLOAT:
      case BYTES:
      case UINT16:
      case UINT32:
      case INT32:
      case UINT64:
      case UINT128:
        return offset + size;
    }
    throw new Error(`Unknown type ${type} at offset ${offset}`);
  }

  /**
   * Reads the control byte at `at` (and an extended type's byte) and returns the
   * value's type. For a pointer, #length is the offset it points to and #end is
   * past the pointer; otherwise #length is the payload size and #end is where the
   * payload starts. Fields, not a returned tuple: this runs for every key and
   * value of a routed record.
   */
  #header(at: number): number {
    const db = this.#db;
    let offset = at;
    const ctrl = db[offset++]!;
    let type = ctrl >> 5;
    if (type === POINTER) {
      this.#length = this.#pointerTarget(ctrl, offset);
      this.#end = offset + ((ctrl >> 3) & 3) + 1;
      return type;
    }
    if (type === 0) {
      type = db[offset++]! + 7;
      if (type < 8) throw new Error(`Invalid Extended Type at offset ${offset - 1} val ${type}`);
    }
    this.#length = this.#size(ctrl, offset);
    return type;
  }

  /** The payload size from a control byte (and the bytes after it); sets #end to where the payload starts. */
  #size(ctrl: number, at: number): number {
    const db = this.#db;
    const size = ctrl & 0x1f;
    if (size < 29) {
      this.#end = at;
      return size;
    }
    if (size === 29) {
      this.#end = at + 1;
      return 29 + db[at]!;
    }
    if (size === 30) {
      this.#end = at + 2;
      return 285 + ((db[at]! << 8) | db[at + 1]!);
    }
    this.#end = at + 3;
    return 65_821 + ((db[at]! << 16) | (db[at + 1]! << 8) | db[at + 2]!);
  }

  /** The file offset a pointer (control byte `ctrl`, its bytes from `at`) points to. */
  #pointerTarget(ctrl: number, at: number): number {
    const db = this.#db;
    const high = ctrl & 7;
    switch ((ctrl >> 3) & 3) {
      case 0:
        return this.#pointerBase + ((high << 8) | db[at]!);
      case 1:
        return this.#pointerBase + 2048 + ((high << 16) | (db[at]! << 8) | db[at + 1]!);
      case 2:
        return this.#pointerBase + 526_336 + ((high << 24) | (db[at]! << 16) | (db[at + 1]! << 8) | db[at + 2]!);
      default:
        return this.#pointerBase + db.readUInt32BE(at);
    }
  }
}
