/**
 * Exponentially weighted moving average: `value = alpha·sample + (1-alpha)·value`.
 * The first sample seeds it, so a fresh region is not pulled towards 0.
 */
export class Ewma {
  #value: number | undefined;
  constructor(private readonly alpha: number) {}

  /** Adds a sample and returns the new average. */
  add(sample: number): number {
    this.#value = this.#value === undefined ? sample : this.alpha * sample + (1 - this.alpha) * this.#value;
    return this.#value;
  }

  /** Current average, undefined before the first sample. */
  get value(): number | undefined {
    return this.#value;
  }
}
