import type { Reader } from 'maxmind';

type Metadata = Reader<Record<string, unknown>>['metadata'];

/** Where an address's record starts in the file, or -1 when the tree has no record for it. */
export type DataOffset = number;

/**
 * Walks an MMDB search tree from an already parsed address (maxmind's `get()`
 * parses the text again and decodes the whole record; routing needs neither).
 * Follows the MaxMind DB format as maxmind's reader does: 24, 28 or 32-bit
 * records, IPv4 addresses under `::/96` in an IPv6 tree, and a record value
 * above the node count pointing into the data section.
 */
export class MmdbTree {
  readonly #db: Buffer;
  readonly #nodeCount: number;
  readonly #nodeBytes: number;
  readonly #recordSize: 24 | 28 | 32;
  readonly #dataStart: number;
  readonly #ipv4Start: number;

  constructor(db: Buffer, metadata: Metadata) {
    this.#db = db;
    this.#nodeCount = metadata.nodeCount;
    this.#nodeBytes = metadata.nodeByteSize;
    if (metadata.recordSize !== 24 && metadata.recordSize !== 28 && metadata.recordSize !== 32) throw new Error(`unsupported record size ${metadata.recordSize}`);
    this.#recordSize = metadata.recordSize;
    // A record value v > nodeCount points at file offset (v - nodeCount) + searchTreeSize (the spec's 16-byte separator included).
    this.#dataStart = metadata.searchTreeSize - this.#nodeCount;
    let node = 0;
    if (metadata.ipVersion === 6) for (let depth = 0; depth < 96 && node < this.#nodeCount; depth++) node = this.#child(node, 0);
    this.#ipv4Start = node;
  }

  /** The data offset for an IPv4 address given as an unsigned 32-bit number. */
  offsetV4(address: number): DataOffset {
    let node = this.#ipv4Start;
    for (let depth = 0; depth < 32 && node < this.#nodeCount; depth++) node = this.#child(node, (address >>> (31 - depth)) & 1);
    return this.#offsetOf(node);
  }

  /** The data offset for an IPv6 address given as its eight 16-bit groups. */
  offsetV6(groups: readonly number[]): DataOffset {
    let node = 0;
    for (let depth = 0; depth < 128 && node < this.#nodeCount; depth++) node = this.#child(node, (groups[depth >> 4]! >>> (15 - (depth & 15))) & 1);
    return this.#offsetOf(node);
  }

  /** A walk that ends on the node count (or inside the tree) found no record. */
  #offsetOf(node: number): DataOffset {
    return node > this.#nodeCount ? node + this.#dataStart : -1;
  }

  #child(node: number, bit: number): number {
    const db = this.#db;
    const at = node * this.#nodeBytes;
    switch (this.#recordSize) {
      case 24:
        return bit === 0 ? (db[at]! << 16) | (db[at + 1]! << 8) | db[at + 2]! : (db[at + 3]! << 16) | (db[at + 4]! << 8) | db[at + 5]!;
      case 28:
        return bit === 0
          ? ((db[at + 3]! & 0xf0) << 20) | (db[at]! << 16) | (db[at + 1]! << 8) | db[at + 2]!
          : ((db[at + 3]! & 0x0f) << 24) | (db[at + 4]! << 16) | (db[at + 5]! << 8) | db[at + 6]!;
      default:
        return bit === 0 ? db.readUInt32BE(at) : db.readUInt32BE(at + 4);
    }
  }
}
