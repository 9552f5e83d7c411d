/**
 * A bounded cache with LRU-like eviction (CLOCK, "second chance") and per-entry
 * expiry, on fixed arrays: a hit sets a reference bit; when full, a hand sweeps
 * the slots, clearing bits, and evicts the first entry not used since its last
 * pass. O(1) amortised, never more than `maxEntries` entries, and no Map
 * iteration (deleting from the front of a Map leaves tombstones that make
 * `keys().next()` slow on large maps). Keys are strings, or numbers (MMDB data
 * offsets: small integers, the fastest Map keys).
 */
export class LruCache<V, K extends string | number = string> {
  readonly #index = new Map<K, number>();
  readonly #keys: Array<K | undefined>;
  readonly #values: Array<V | undefined>;
  readonly #expires: Float64Array;
  readonly #referenced: Uint8Array;
  readonly #free: number[] = [];
  #used = 0;
  #hand = 0;

  constructor(private readonly maxEntries: number) {
    this.#keys = new Array<K | undefined>(maxEntries);
    this.#values = new Array<V | undefined>(maxEntries);
    this.#expires = new Float64Array(maxEntries);
    this.#referenced = new Uint8Array(maxEntries);
  }

  /** The live value; undefined when absent or expired. */
  get(key: K, now: number): V | undefined {
    const slot = this.#index.get(key);
    if (slot === undefined) return undefined;
    if (now >= this.#expires[slot]!) {
      this.#release(slot);
      return undefined;
    }
    this.#referenced[slot] = 1;
    return this.#values[slot];
  }

  /** Stores a value, evicting (second chance) when full. */
  set(key: K, value: V, expiresAt: number): void {
    let slot = this.#index.get(key);
    if (slot === undefined) {
      slot = this.#free.pop() ?? (this.#used < this.maxEntries ? this.#used++ : this.#evict());
      this.#index.set(key, slot);
      this.#keys[slot] = key;
      this.#referenced[slot] = 0;
    } else {
      this.#referenced[slot] = 1;
    }
    this.#values[slot] = value;
    this.#expires[slot] = expiresAt;
  }

  /** Removes one key. */
  delete(key: K): void {
    const slot = this.#index.get(key);
    if (slot !== undefined) this.#release(slot);
  }

  /** Drops everything. */
  clear(): void {
    this.#index.clear();
    this.#keys.fill(undefined);
    this.#values.fill(undefined);
    this.#free.length = 0;
    this.#used = 0;
    this.#hand = 0;
  }

  /** Entries held (expired ones included until touched). */
  get size(): number {
    return this.#index.size;
  }

  #release(slot: number): void {
    this.#index.delete(this.#keys[slot]!);
    this.#keys[slot] = undefined;
    this.#values[slot] = undefined;
    this.#free.push(slot);
  }

  /** Frees a slot by the clock hand; only called when every slot is in use. */
  #evict(): number {
    for (;;) {
      const slot = this.#hand;
      this.#hand = (this.#hand + 1) % this.maxEntries;
      if (this.#referenced[slot]) {
        this.#referenced[slot] = 0;
        continue;
      }
      this.#index.delete(this.#keys[slot]!);
      return slot;
    }
  }
}
