import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manual-clock.js';
import { RetryBudget } from './retry-budget.js';

describe('RetryBudget (Envoy semantics: retries in flight <= max(min, percent × requests in flight))', () => {
  it('allows at least minConcurrency retries however few requests are in flight', () => {
    const budget = new RetryBudget(0.2, 3);
    budget.requestStarted();
    expect([budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire()]).toEqual([true, true, true, false]);
    expect(budget.state).toEqual({ active: 1, retrying: 3, exhausted: 0, queued: 0 });
    budget.releaseRetry();
    expect(budget.tryAcquire()).toBe(true);
  });

  it('scales with the requests in flight: 100 in flight at 20 % allow 20 retries, not 21', () => {
    const budget = new RetryBudget(0.2, 3);
    for (let i = 0; i < 100; i++) budget.requestStarted();
    let granted = 0;
    while (budget.tryAcquire()) granted++;
    expect(granted).toBe(20);
    for (let i = 0; i < 50; i++) budget.requestEnded();
    // 50 in flight allow 10: the 20 already out keep it shut until they end.
    expect(budget.tryAcquire()).toBe(false);
    for (let i = 0; i < 11; i++) budget.releaseRetry();
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(false);
  });

  it('an outage never doubles the load: with every attempt failing, extra attempts stay within the budget', () => {
    const budget = new RetryBudget(0.2, 0);
    let attempts = 0;
    for (let i = 0; i < 1_000; i++) budget.requestStarted();
    for (let i = 0; i < 1_000; i++) {
      attempts++;
      if (budget.tryAcquire()) attempts++;
    }
    expect(attempts).toBe(1_200);
  });

  it('never goes negative', () => {
    const budget = new RetryBudget(0.5, 1);
    budget.requestEnded();
    budget.releaseRetry();
    expect(budget.state).toEqual({ active: 0, retrying: 0, exhausted: 0, queued: 0 });
  });
});

describe('RetryBudget queueing (virtual time)', () => {
  it('a retry with no room waits for a slot, first come first served, and never past queueMillis', async () => {
    const clock = new ManualClock(0);
    const budget = new RetryBudget(0.2, 1, 1_000, clock);
    budget.requestStarted();
    expect(budget.acquire()).toBe(true);
    const second = budget.acquire() as Promise<boolean>;
    const third = budget.acquire() as Promise<boolean>;
    expect(second).toBeInstanceOf(Promise);
    // A waiter is ahead: a newcomer does not jump the queue.
    expect(budget.tryAcquire()).toBe(false);
    clock.advance(500);
    budget.releaseRetry();
    expect(await second).toBe(true);
    expect(budget.state).toMatchObject({ retrying: 1, queued: 2, exhausted: 0 });
    clock.advance(499);
    await Promise.resolve();
    clock.advance(1);
    expect(await third).toBe(false);
    expect(budget.state).toMatchObject({ retrying: 1, exhausted: 1 });
  });

  it('more requests in flight make room for waiting retries', async () => {
    const clock = new ManualClock(0);
    const budget = new RetryBudget(0.2, 0, 1_000, clock);
    for (let i = 0; i < 5; i++) budget.requestStarted();
    expect(budget.acquire()).toBe(true);
    const waiting = budget.acquire() as Promise<boolean>;
    for (let i = 0; i < 5; i++) budget.requestStarted();
    expect(await waiting).toBe(true);
    expect(budget.state).toMatchObject({ active: 10, retrying: 2 });
  });

  it('with queueMillis 0 it refuses at once, as Envoy does', () => {
    const budget = new RetryBudget(0.2, 0, 0, new ManualClock(0));
    budget.requestStarted();
    expect(budget.acquire()).toBe(false);
    expect(budget.state.exhausted).toBe(1);
  });
});
