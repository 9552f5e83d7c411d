interface Entry<V> {
  value: V;
  expiresAt: number;
  /** Set on every hit; eviction gives referenced entries a second chance. */
  referenced: boolean;
}

/**
 * A bounded cache with LRU-like eviction (CLOCK, "second chance") and per-entry
 * expiry. A hit only sets a flag, so reads cost one Map lookup instead of a
 * delete and re-insert; when full, the oldest entries that were hit since their
 * last pass move to the back and the first one that was not is evicted. Never
 * holds more than `maxEntries`.
 */
export class LruCache<V> {
  readonly #map = new Map<string, Entry<V>>();

  constructor(private readonly maxEntries: number) {}

  /** The live value; undefined when absent or expired. */
  get(key: string, now: number): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    if (now >= entry.expiresAt) {
      this.#map.delete(key);
      return undefined;
    }
    entry.referenced = true;
    return entry.value;
  }

  /** Stores a value, evicting (second chance) when full. */
  set(key: string, value: V, expiresAt: number): void {
    const existing = this.#map.get(key);
    if (existing) {
      existing.value = value;
      existing.expiresAt = expiresAt;
      existing.referenced = true;
      return;
    }
    if (this.#map.size >= this.maxEntries) this.#evictOne();
    this.#map.set(key, { value, expiresAt, referenced: false });
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

  #evictOne(): void {
    // Bounded: after one full pass every flag is clear, so the loop ends.
    for (let pass = 0; pass <= this.#map.size; pass++) {
      const oldest = this.#map.entries().next();
      if (oldest.done) return;
      const [key, entry] = oldest.value;
      this.#map.delete(key);
      if (!entry.referenced) return;
      entry.referenced = false;
      this.#map.set(key, entry);
    }
  }
}
