import { normalizeDelay, type Clock, type TimerHandle } from './clock.js';

interface PendingTimer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * Virtual time for tests: nothing happens until `advance(ms)`, which runs every
 * timer that falls due, in due-time order (ties in scheduling order), with
 * `now()` set to each timer's due time while it runs. Delays are read as
 * `systemClock` reads them: any length fires exactly when due (past
 * 2^31-1 ms too), NaN and negatives run at the next advance, Infinity never.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 0;
  #timers: PendingTimer[] = [];

  /** @param startMillis the initial `now()`, epoch milliseconds. */
  constructor(startMillis = 0) {
    this.#now = startMillis;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMillis: number): TimerHandle {
    const timer: PendingTimer = {
      id: this.#nextId++,
      due: this.#now + normalizeDelay(delayMillis),
      callback,
      cancelled: false,
    };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Number of timers still waiting. */
  pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Due time of the next timer, or undefined when none is pending. */
  nextDue(): number | undefined {
    return this.#pickNext(Number.POSITIVE_INFINITY)?.due;
  }

  /**
   * Moves time forward by `millis`, running due timers in order, including
   * timers that those callbacks schedule inside the window.
   */
  advance(millis: number): void {
    if (!(millis >= 0)) throw new RangeError(`advance() needs a non-negative duration, got ${millis}`);
    const target = this.#now + millis;
    while (this.#runNext(target));
    this.#now = target;
    this.#timers = this.#timers.filter((t) => !t.cancelled);
  }

  /** Like `advance`, but lets promises settle after each timer (for async engines). */
  async advanceAsync(millis: number): Promise<void> {
    if (!(millis >= 0)) throw new RangeError(`advanceAsync() needs a non-negative duration, got ${millis}`);
    const target = this.#now + millis;
    do await flushMicrotasks();
    while (this.#runNext(target));
    this.#now = target;
    this.#timers = this.#timers.filter((t) => !t.cancelled);
  }

  /** Runs the earliest timer due by `limit`; false when there is none. */
  #runNext(limit: number): boolean {
    const next = this.#pickNext(limit);
    if (!next) return false;
    this.#timers = this.#timers.filter((t) => t !== next);
    this.#now = next.due;
    next.callback();
    return true;
  }

  #pickNext(limit: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.#timers) {
      if (t.cancelled || t.due > limit || t.due === Number.POSITIVE_INFINITY) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t;
    }
    return best;
  }
}

async function flushMicrotasks(): Promise<void> {
  // setImmediate runs after the current microtask queue has drained.
  await new Promise<void>((resolve) => setImmediate(resolve));
}
