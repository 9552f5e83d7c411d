import { createHash } from 'node:crypto';

/** Sizes of content-defined chunks, in bytes. */
export interface ChunkSizes {
  minBytes: number;
  avgBytes: number;
  maxBytes: number;
}

/**
 * The gear table: 256 pseudo-random 32-bit words. Derived from SHA-256 of a
 * fixed label rather than Math.random, so every region (and every release)
 * cuts the same data at the same places; a different table would make two
 * regions disagree on every chunk.
 */
const GEAR: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i += 8) {
    const digest = createHash('sha256').update(`meridian-gear-v1:${i}`).digest();
    for (let j = 0; j < 8; j++) table[i + j] = digest.readUInt32BE(j * 4);
  }
  return table;
})();

/** A mask of the `bits` highest bits of a 32-bit word: with a left-shifting gear hash those depend on the last 32 bytes. */
function highMask(bits: number): number {
  return bits <= 0 ? 0 : (0xffffffff << (32 - bits)) | 0;
}

/** What a cut needs: sizes, the two masks and the gear table (plain data, so the disk worker gets the same). */
export interface CutParams {
  min: number;
  avg: number;
  max: number;
  maskS: number;
  maskL: number;
  gear: Uint32Array;
}

/**
 * Length of the next chunk of `data` from `start` (up to `end`); 0 when
 * `final` is false and no cut is found before `end` (the caller reads more).
 * Self-contained (no reference outside its arguments): the disk worker runs
 * this very function from its source text, so both threads cut alike.
 */
export function cutPoint(p: CutParams, data: Uint8Array, start: number, end: number, final: boolean): number {
  const available = end - start;
  if (available <= p.min) return final ? available : available >= p.max ? p.max : 0;
  const normal = start + Math.min(p.avg, available);
  const limit = start + Math.min(p.max, available);
  let h = 0;
  let i = start + p.min;
  const gear = p.gear;
  const maskS = p.maskS;
  const maskL = p.maskL;
  for (; i < normal; i++) {
    h = ((h << 1) + gear[data[i]!]!) | 0;
    if ((h & maskS) === 0) return i + 1 - start;
  }
  for (; i < limit; i++) {
    h = ((h << 1) + gear[data[i]!]!) | 0;
    if ((h & maskL) === 0) return i + 1 - start;
  }
  if (limit - start === p.max || final) return limit - start;
  return 0;
}

/** The cut parameters of a set of chunk sizes. */
export function cutParams(sizes: ChunkSizes): CutParams {
  const bits = Math.round(Math.log2(sizes.avgBytes));
  return { min: sizes.minBytes, avg: sizes.avgBytes, max: sizes.maxBytes, maskS: highMask(bits + 1), maskL: highMask(bits - 1), gear: GEAR };
}

/**
 * FastCDC-style cutting with normalised chunking: before the average size a
 * harder mask (one bit more) makes a cut less likely, after it an easier one
 * (one bit less) makes it more likely, so sizes cluster around the average.
 * A cut depends only on the bytes just before it, so inserting or deleting
 * bytes moves the cuts next to the edit and no others: a small edit sends a
 * small delta (fixed-size blocks would shift every chunk after it).
 */
export class ContentChunker {
  /** The parameters, for the disk worker. */
  readonly params: CutParams;

  constructor(sizes: ChunkSizes) {
    this.params = cutParams(sizes);
  }

  /** Largest chunk this chunker makes. */
  get maxBytes(): number {
    return this.params.max;
  }

  /**
   * Length of the next chunk of `data` from `start` (up to `end`). When `final`
   * is false and no cut is found before `end`, returns 0: the caller reads more.
   */
  cut(data: Uint8Array, start: number, end: number, final: boolean): number {
    return cutPoint(this.params, data, start, end, final);
  }
}
