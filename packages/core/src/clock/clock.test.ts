import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MILLIS, systemClock } from './clock.js';

// Fake timers copy Node's rule: a delay above 2^31-1 ms fires after 1 ms.
describe('systemClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits out a delay above 2^31-1 ms instead of firing at once', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    const start = Date.now();
    systemClock.setTimeout(() => fired.push(Date.now() - start), 3e9);
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(MAX_TIMER_MILLIS);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(3e9 - MAX_TIMER_MILLIS - 1_001);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([3e9]);
  });

  it('fires a delay of exactly MAX_TIMER_MILLIS on time, and cancels a chained timer at any link', () => {
    vi.useFakeTimers();
    const log: string[] = [];
    systemClock.setTimeout(() => log.push('max'), MAX_TIMER_MILLIS);
    const long = systemClock.setTimeout(() => log.push('long'), 1e12);
    vi.advanceTimersByTime(MAX_TIMER_MILLIS);
    expect(log).toEqual(['max']);
    long.cancel();
    vi.advanceTimersByTime(1e12);
    expect(log).toEqual(['max']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never fires Infinity, and runs NaN and negative delays at once', () => {
    vi.useFakeTimers();
    const log: string[] = [];
    systemClock.setTimeout(() => log.push('never'), Number.POSITIVE_INFINITY);
    systemClock.setTimeout(() => log.push('nan'), Number.NaN);
    systemClock.setTimeout(() => log.push('negative'), -5);
    vi.advanceTimersByTime(MAX_TIMER_MILLIS * 3);
    expect(log).toEqual(['nan', 'negative']);
  });
});
