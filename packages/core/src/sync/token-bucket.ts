import type { Clock } from '../clock/clock.js';
import { sleep } from '../clock/sleep.js';

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Sustained rate, units (bytes) per second. */
  ratePerSecond: number;
  /** Most units that can be spent at once after an idle period. */
  burst: number;
  /** Time source. */
  clock: Clock;
}

/**
 * Token bucket that lets a caller go into debt: `take(n)` always succeeds and
 * waits until the bucket is back to zero. A batch larger than the burst still
 * passes (it is never split), and over any long window the rate is exactly
 * `ratePerSecond` plus at most one burst.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #updatedAt: number;

  constructor(options: TokenBucketOptions) {
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst;
    this.#clock = options.clock;
    this.#tokens = options.burst;
    this.#updatedAt = options.clock.now();
  }

  /** Spends `units`, then waits until the debt (if any) is repaid. Rejects with ABORTED on abort. */
  async take(units: number, signal?: AbortSignal): Promise<void> {
    this.#refill();
    this.#tokens -= units;
    if (this.#tokens >= 0) return;
    await sleep(this.#clock, Math.ceil((-this.#tokens / this.#rate) * 1000), signal);
  }

  /** Tokens available now (negative while in debt). */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#updatedAt = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate) / 1000);
  }
}
