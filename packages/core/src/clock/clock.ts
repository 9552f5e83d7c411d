/** A scheduled callback that can be cancelled. */
export interface TimerHandle {
  /** Cancel the timer; harmless after it fired or was cancelled. */
  cancel(): void;
}

/**
 * Time as engines see it. Injected everywhere so tests run on virtual time
 * ({@link ManualClock}) and nothing sleeps for real where it need not.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Runs `callback` after `delayMillis`. Real timers are unref'd: a Meridian
   * engine never keeps a host process alive on its own.
   */
  setTimeout(callback: () => void, delayMillis: number): TimerHandle;
}

/**
 * Longest delay a Node timer honours: 2^31-1 ms (about 24.8 days). Node fires a
 * longer one after 1 ms, so every duration option is bounded by this.
 */
export const MAX_TIMER_MILLIS = 2_147_483_647;

/** A delay as both clocks read it: NaN and negatives are 0 (run as soon as possible). */
export function normalizeDelay(delayMillis: number): number {
  return Number.isNaN(delayMillis) ? 0 : Math.max(0, delayMillis);
}

/**
 * The real clock: `Date.now()` and unref'd Node timers. A delay above
 * {@link MAX_TIMER_MILLIS} is waited out as a chain of shorter timers, so it
 * never fires early (Infinity never fires).
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMillis) {
    let timer: ReturnType<typeof setTimeout>;
    const arm = (remaining: number): void => {
      timer = remaining > MAX_TIMER_MILLIS ? setTimeout(() => arm(remaining - MAX_TIMER_MILLIS), MAX_TIMER_MILLIS) : setTimeout(callback, remaining);
      timer.unref();
    };
    arm(normalizeDelay(delayMillis));
    return { cancel: () => clearTimeout(timer) };
  },
};
