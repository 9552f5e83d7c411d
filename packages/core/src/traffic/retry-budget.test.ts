import { describe, expect, it } from 'vitest';
import { RetryBudget } from './retry-budget.js';

describe('RetryBudget (Envoy semantics: retries in flight <= max(min, percent × requests in flight))', () => {
  it('allows at least minConcurrency retries however few requests are in flight', () => {
    const budget = new RetryBudget(0.2, 3);
    budget.requestStarted();
    expect([budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire()]).toEqual([true, true, true, false]);
    expect(budget.state).toEqual({ active: 1, retrying: 3, exhausted: 1 });
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
    expect(budget.state).toEqual({ active: 0, retrying: 0, exhausted: 0 });
  });
});
