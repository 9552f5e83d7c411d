/**
 * The last `size` outcomes in a ring buffer; availability is the share of
 * successes among them. O(1) per outcome, fixed memory per region.
 */
export class OutcomeWindow {
  readonly #ring: Uint8Array;
  #count = 0;
  #next = 0;
  #successes = 0;

  constructor(size: number) {
    this.#ring = new Uint8Array(size);
  }

  /** Records one outcome, evicting the oldest when full. */
  add(ok: boolean): void {
    const size = this.#ring.length;
    if (this.#count === size) this.#successes -= this.#ring[this.#next]!;
    else this.#count++;
    this.#ring[this.#next] = ok ? 1 : 0;
    if (ok) this.#successes++;
    this.#next = (this.#next + 1) % size;
  }

  /** Share of successes in the window, 0..1; undefined when empty. */
  get availability(): number | undefined {
    return this.#count === 0 ? undefined : this.#successes / this.#count;
  }

  /** Outcomes currently in the window. */
  get count(): number {
    return this.#count;
  }
}
