import type { Clock, TimerHandle } from '../clock/clock.js';
import type { PendingFailback } from './failover-types.js';

/**
 * Per-region one-shot timers: the failback hold-down and its later re-checks.
 * `at` is always when the timer fires, so `status().pendingFailbacks` tells when
 * the failback will be tried.
 */
export class HoldDowns {
  readonly #clock: Clock;
  readonly #pending = new Map<string, { timer: TimerHandle; at: number }>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Whether `regionId` waits. */
  has(regionId: string): boolean {
    return this.#pending.has(regionId);
  }

  /** Calls `elapsed` after `delayMillis` (replacing a pending timer); returns when it fires, epoch ms. */
  schedule(regionId: string, delayMillis: number, elapsed: () => void): number {
    this.cancel(regionId);
    const at = this.#clock.now() + delayMillis;
    const timer = this.#clock.setTimeout(() => {
      this.#pending.delete(regionId);
      elapsed();
    }, delayMillis);
    this.#pending.set(regionId, { timer, at });
    return at;
  }

  /** Cancels `regionId`'s timer; false when none was pending. */
  cancel(regionId: string): boolean {
    const pending = this.#pending.get(regionId);
    if (!pending) return false;
    pending.timer.cancel();
    this.#pending.delete(regionId);
    return true;
  }

  /** Cancels every timer. */
  cancelAll(): void {
    for (const regionId of [...this.#pending.keys()]) this.cancel(regionId);
  }

  /** What waits, with when each fires. */
  list(): PendingFailback[] {
    return [...this.#pending.entries()].map(([regionId, h]) => ({ regionId, at: h.at }));
  }
}
