/** An entry of the change log: one write of `key`, current until the key is written again or purged. */
export interface ChangeEntry {
  readonly seq: number;
  readonly key: string;
  readonly origin: string;
  /** Index in the log (changes when the log is compacted). */
  position: number;
  live: boolean;
}

// Counts of live entries are kept per block of this many positions.
const BLOCK_BITS = 8;
const BLOCK = 1 << BLOCK_BITS;

/**
 * The index's change log in sequence order, with counts of the entries still
 * current per block of positions, overall and per origin. A scan then counts
 * what is left after its page by adding block counts instead of walking every
 * later entry (which made paging through a store quadratic), and skips blocks
 * that hold nothing of the origin it asked for.
 */
export class ChangeLog {
  #entries: ChangeEntry[] = [];
  #live = 0;
  #all: number[] = [];
  readonly #byOrigin = new Map<string, number[]>();

  /** Appends a write (its `seq` above every other); returns its entry. */
  append(seq: number, key: string, origin: string): ChangeEntry {
    const entry: ChangeEntry = { seq, key, origin, position: this.#entries.length, live: true };
    this.#entries.push(entry);
    this.#count(entry, 1);
    return entry;
  }

  /** The entry is no longer current (its key was written again or purged). */
  retire(entry: ChangeEntry): void {
    if (!entry.live) return;
    entry.live = false;
    this.#count(entry, -1);
  }

  /**
   * Current entries with `seq > since` (of `origin` when given), at most
   * `limit`, and how many more there are.
   */
  page(since: number, origin: string | undefined, limit: number): { entries: ChangeEntry[]; remaining: number } {
    const counts = origin === undefined ? this.#all : this.#byOrigin.get(origin);
    const entries: ChangeEntry[] = [];
    if (!counts) return { entries, remaining: 0 };
    let i = this.#firstAfter(since);
    while (i < this.#entries.length && entries.length < limit) {
      if ((i & (BLOCK - 1)) === 0 && !counts[i >> BLOCK_BITS]) {
        i += BLOCK; // nothing current of this origin in the whole block
        continue;
      }
      const entry = this.#entries[i]!;
      if (entry.live && (origin === undefined || entry.origin === origin)) entries.push(entry);
      i++;
    }
    return { entries, remaining: entries.length < limit ? 0 : this.#countFrom(i, origin, counts) };
  }

  /** Drops retired entries once they are half the log, so memory stays proportional to the data. */
  compact(): void {
    if (this.#entries.length < 1024 || this.#entries.length < 2 * this.#live) return;
    this.#entries = this.#entries.filter((e) => e.live);
    this.#all = [];
    this.#byOrigin.clear();
    this.#live = 0;
    this.#entries.forEach((entry, position) => {
      entry.position = position;
      this.#count(entry, 1);
    });
  }

  #count(entry: ChangeEntry, delta: number): void {
    const block = entry.position >> BLOCK_BITS;
    let counts = this.#byOrigin.get(entry.origin);
    if (!counts) this.#byOrigin.set(entry.origin, (counts = []));
    counts[block] = (counts[block] ?? 0) + delta;
    this.#all[block] = (this.#all[block] ?? 0) + delta;
    this.#live += delta;
  }

  // Current entries (of the origin) at positions from `start` on: the rest of its block one by one, then whole blocks.
  #countFrom(start: number, origin: string | undefined, counts: readonly number[]): number {
    const firstWholeBlock = (start + BLOCK - 1) >> BLOCK_BITS;
    let n = 0;
    for (let i = start, end = Math.min(this.#entries.length, firstWholeBlock << BLOCK_BITS); i < end; i++) {
      const entry = this.#entries[i]!;
      if (entry.live && (origin === undefined || entry.origin === origin)) n++;
    }
    for (let block = firstWholeBlock; block < counts.length; block++) n += counts[block] ?? 0;
    return n;
  }

  #firstAfter(since: number): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#entries[mid]!.seq <= since) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
