import type { Clock, TimerHandle } from '../clock/clock.js';
import type { RetryBudgetState } from './traffic-types.js';

interface Waiter {
  grant: (granted: boolean) => void;
  timer: TimerHandle;
}

/**
 * Envoy's retry budget: retries in flight may be at most `percent` of the
 * requests in flight, and never fewer than `minConcurrency`. A region that dies
 * under load therefore costs at most that much extra load on the others: an
 * outage never doubles the traffic, as a fixed retry count per request would.
 *
 * Where Envoy fails a retry the budget has no room for, this one lets it wait
 * up to `queueMillis` for a slot (first come, first served): failures arrive in
 * bursts (a hung region's timeouts, a killed region's reset connections, a
 * stalled event loop), and a burst is what the budget should spread out, not
 * turn into client errors. The cap on concurrent retries holds either way.
 */
export class RetryBudget {
  #active = 0;
  #retrying = 0;
  #exhausted = 0;
  #queued = 0;
  readonly #waiters: Waiter[] = [];

  constructor(
    readonly percent: number,
    readonly minConcurrency: number,
    readonly queueMillis = 0,
    private readonly clock?: Clock,
  ) {}

  /** A request starts (first attempt). */
  requestStarted(): void {
    this.#active++;
    this.#drain();
  }

  /** A request ended, however it ended. */
  requestEnded(): void {
    this.#active = Math.max(0, this.#active - 1);
  }

  /** Takes a retry token at once if the budget allows; the caller must `releaseRetry()` once the retry attempt ends. */
  tryAcquire(): boolean {
    if (this.#waiters.length === 0 && this.#retrying < this.#allowed()) {
      this.#retrying++;
      return true;
    }
    return false;
  }

  /**
   * Takes a retry token, waiting up to `queueMillis` for one; resolves false
   * (counted as exhausted) when none came in time.
   */
  acquire(): boolean | Promise<boolean> {
    if (this.tryAcquire()) return true;
    if (this.queueMillis <= 0 || !this.clock) {
      this.#exhausted++;
      return false;
    }
    this.#queued++;
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: this.clock!.setTimeout(() => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          this.#exhausted++;
          resolve(false);
        }, this.queueMillis),
      };
      this.#waiters.push(waiter);
    });
  }

  /** Returns a token taken by `tryAcquire` or `acquire`; the next waiter, if any, gets it. */
  releaseRetry(): void {
    this.#retrying = Math.max(0, this.#retrying - 1);
    this.#drain();
  }

  /** Requests in flight, retries in flight, retries refused so far (and how many had to wait). */
  get state(): RetryBudgetState {
    return { active: this.#active, retrying: this.#retrying, exhausted: this.#exhausted, queued: this.#queued };
  }

  #allowed(): number {
    return Math.max(this.minConcurrency, Math.floor(this.percent * this.#active));
  }

  #drain(): void {
    while (this.#waiters.length > 0 && this.#retrying < this.#allowed()) {
      const waiter = this.#waiters.shift()!;
      waiter.timer.cancel();
      this.#retrying++;
      waiter.grant(true);
    }
  }
}
