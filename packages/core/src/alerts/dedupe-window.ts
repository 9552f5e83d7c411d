/** Remembers alert keys for a window: the same key inside it is a duplicate. */
export class DedupeWindow {
  readonly #windowMillis: number;
  readonly #until = new Map<string, number>();

  constructor(windowMillis: number) {
    this.#windowMillis = windowMillis;
  }

  /** True (and remembered) when `key` was not seen within the window before `now`. */
  admit(key: string, now: number): boolean {
    if (this.#windowMillis === 0) return true;
    // Keys are few (one per region and kind of event): a sweep per call stays cheap and bounds the map.
    for (const [k, until] of this.#until) if (until <= now) this.#until.delete(k);
    if (this.#until.has(key)) return false;
    this.#until.set(key, now + this.#windowMillis);
    return true;
  }
}
