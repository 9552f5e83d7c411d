import type { RetryBudgetState } from './traffic-types.js';

/**
 * Envoy's retry budget: retries in flight may be at most `percent` of the
 * requests in flight, and never fewer than `minConcurrency`. A region that dies
 * under load therefore costs at most that much extra load on the others: an
 * outage never doubles the traffic, as a fixed retry count per request would.
 */
export class RetryBudget {
  #active = 0;
  #retrying = 0;
  #exhausted = 0;

  constructor(
    readonly percent: number,
    readonly minConcurrency: number,
  ) {}

  /** A request starts (first attempt). */
  requestStarted(): void {
    this.#active++;
  }

  /** A request ended, however it ended. */
  requestEnded(): void {
    this.#active = Math.max(0, this.#active - 1);
  }

  /** Takes a retry token if the budget allows; the caller must `releaseRetry()` once the retry attempt ends. */
  tryAcquire(): boolean {
    const allowed = Math.max(this.minConcurrency, Math.floor(this.percent * this.#active));
    if (this.#retrying >= allowed) {
      this.#exhausted++;
      return false;
    }
    this.#retrying++;
    return true;
  }

  /** Returns a token taken by `tryAcquire`. */
  releaseRetry(): void {
    this.#retrying = Math.max(0, this.#retrying - 1);
  }

  /** Requests in flight, retries in flight, and retries refused so far. */
  get state(): RetryBudgetState {
    return { active: this.#active, retrying: this.#retrying, exhausted: this.#exhausted };
  }
}
