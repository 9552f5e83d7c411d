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

/** The real clock: `Date.now()` and unref'd Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMillis) {
    const timer = setTimeout(callback, Math.max(0, delayMillis));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
