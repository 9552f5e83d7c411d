import { describe, expect, it } from 'vitest';
import { MeridianError } from '../errors/meridian-error.js';
import { ManualClock } from './manual-clock.js';
import { sleep } from './sleep.js';

describe('ManualClock', () => {
  it('runs due timers in due order, ties in scheduling order, with now() at each due time', () => {
    const clock = new ManualClock(1000);
    const log: string[] = [];
    clock.setTimeout(() => log.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => log.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => log.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => log.push('late'), 31);
    clock.advance(30);
    expect(log).toEqual(['a@1010', 'b@1020', 'c@1020']);
    expect(clock.now()).toBe(1030);
    clock.advance(1);
    expect(log.at(-1)).toBe('late');
  });

  it('runs timers scheduled by callbacks inside the window, and not cancelled ones', () => {
    const clock = new ManualClock();
    const log: number[] = [];
    const cancelled = clock.setTimeout(() => log.push(-1), 5);
    clock.setTimeout(() => {
      log.push(clock.now());
      clock.setTimeout(() => log.push(clock.now()), 10);
    }, 10);
    cancelled.cancel();
    clock.advance(25);
    expect(log).toEqual([10, 20]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('refuses to go backwards', () => {
    expect(() => new ManualClock().advance(-1)).toThrow(RangeError);
  });

  it('sleep resolves on virtual time and rejects with ABORTED', async () => {
    const clock = new ManualClock();
    let done = false;
    const p = sleep(clock, 100).then(() => (done = true));
    await clock.advanceAsync(99);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    await p;
    expect(done).toBe(true);

    const controller = new AbortController();
    const aborted = sleep(clock, 100, controller.signal);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'ABORTED'));
    expect(clock.pendingTimers()).toBe(0);
  });

  it('reads delays as systemClock does: past 2^31-1 ms on time, NaN and negatives at once, Infinity never', () => {
    const clock = new ManualClock(0);
    const log: string[] = [];
    clock.setTimeout(() => log.push(`long@${clock.now()}`), 3e9);
    clock.setTimeout(() => log.push(`nan@${clock.now()}`), Number.NaN);
    clock.setTimeout(() => log.push(`negative@${clock.now()}`), -5);
    clock.setTimeout(() => log.push('never'), Number.POSITIVE_INFINITY);
    clock.advance(1);
    expect(log).toEqual(['nan@0', 'negative@0']);
    clock.advance(3e9 - 2);
    expect(log).toHaveLength(2);
    clock.advance(1);
    expect(log.at(-1)).toBe('long@3000000000');
    clock.advance(Number.MAX_SAFE_INTEGER);
    expect(log).toHaveLength(3);
    expect(clock.nextDue()).toBeUndefined();
  });
});
