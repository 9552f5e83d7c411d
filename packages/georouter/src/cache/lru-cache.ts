/**
 * A bounded LRU with per-entry expiry on a Map (insertion order = recency).
 * O(1) get/set; never holds more than `maxEntries`.
 */
export class LruCache<V> {
  readonly #map = new Map<string, { value: V; expiresAt: number }>();

  constructor(private readonly maxEntries: number) {}

  /** The live value, refreshed as most recent; undefined when absent or expired. */
  get(key: string, now: number): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    if (now >= entry.expiresAt) {
      this.#map.delete(key);
      return undefined;
    }
    this.#map.delete(key);
    this.#map.set(key, entry);
    return entry.value;
  }

  /** Stores a value, evicting the least recently used entry when full. */
  set(key: string, value: V, expiresAt: number): void {
    if (this.#map.has(key)) this.#map.delete(key);
    else if (this.#map.size >= this.maxEntries) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
    this.#map.set(key, { value, expiresAt });
  }

  /** Removes one key. */
  delete(key: string): void {
    this.#map.delete(key);
  }

  /** Drops everything. */
  clear(): void {
    this.#map.clear();
  }

  /** Entries held (expired ones included until touched). */
  get size(): number {
    return this.#map.size;
  }
}
