import { MERKLE_LEAF_DEPTH, type MerkleSummary } from '../contracts/replica-store.js';

/** Bits of the key hash that pick a storage leaf. */
export const LEAF_BITS = MERKLE_LEAF_DEPTH * 4;

/**
 * Summaries of every tree node from the root down to the storage leaves
 * (8191 nodes), kept up to date as records come and go: XOR is its own
 * inverse, so a write takes the old fingerprint out and puts the new one in
 * along one path, and a summary is read without computing anything.
 */
export class SummaryTree {
  // Node `i` of level `l` (its first l bits) sits at (1 << l) - 1 + i; a fingerprint is two 32-bit halves.
  readonly #high = new Uint32Array((2 << LEAF_BITS) - 1);
  readonly #low = new Uint32Array((2 << LEAF_BITS) - 1);
  readonly #count = new Uint32Array((2 << LEAF_BITS) - 1);

  /** Adds (`delta` 1) or removes (-1) a record of fingerprint `fingerprint` in leaf number `leaf`. */
  change(leaf: number, fingerprint: string, delta: 1 | -1): void {
    const high = parseInt(fingerprint.slice(0, 8), 16);
    const low = parseInt(fingerprint.slice(8, 16), 16);
    for (let level = 0; level <= LEAF_BITS; level++) {
      const at = (1 << level) - 1 + (leaf >>> (LEAF_BITS - level));
      this.#high[at]! ^= high;
      this.#low[at]! ^= low;
      this.#count[at]! += delta;
    }
  }

  /** The summary of the node of the first `level` bits equal to `index`. */
  summary(level: number, index: number): MerkleSummary {
    const at = (1 << level) - 1 + index;
    return [hex8(this.#high[at]!) + hex8(this.#low[at]!), this.#count[at]!];
  }
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
