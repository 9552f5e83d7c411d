/**
 * Successes and totals of real traffic over the last `windowMillis`, in ten
 * time buckets: O(1) per outcome and fixed memory per region however busy it is
 * (a ring of outcomes would cover 50 ms at 200 req/s and hours at 1 req/min).
 */
export class SuccessRateWindow {
  static readonly BUCKETS = 10;
  readonly #bucketMillis: number;
  readonly #totals = new Float64Array(SuccessRateWindow.BUCKETS);
  readonly #successes = new Float64Array(SuccessRateWindow.BUCKETS);
  // Bucket number (time / bucketMillis) each slot holds; -1 = empty.
  readonly #epochs = new Float64Array(SuccessRateWindow.BUCKETS).fill(-1);

  constructor(readonly windowMillis: number) {
    this.#bucketMillis = Math.max(1, windowMillis / SuccessRateWindow.BUCKETS);
  }

  /** Records one outcome at `now` (epoch ms). */
  add(ok: boolean, now: number): void {
    const epoch = Math.floor(now / this.#bucketMillis);
    const slot = epoch % SuccessRateWindow.BUCKETS;
    if (this.#epochs[slot] !== epoch) {
      this.#epochs[slot] = epoch;
      this.#totals[slot] = 0;
      this.#successes[slot] = 0;
    }
    this.#totals[slot]! += 1;
    if (ok) this.#successes[slot]! += 1;
  }

  /** Requests and successes in the window ending at `now`. */
  counts(now: number): { total: number; successes: number } {
    const current = Math.floor(now / this.#bucketMillis);
    let total = 0;
    let successes = 0;
    for (let slot = 0; slot < SuccessRateWindow.BUCKETS; slot++) {
      const epoch = this.#epochs[slot]!;
      if (epoch < 0 || current - epoch >= SuccessRateWindow.BUCKETS || epoch > current) continue;
      total += this.#totals[slot]!;
      successes += this.#successes[slot]!;
    }
    return { total, successes };
  }

  /** Forgets everything (after an ejection, the region starts over). */
  clear(): void {
    this.#epochs.fill(-1);
  }
}
