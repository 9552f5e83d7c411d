import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manual-clock.js';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('lets a burst through, then holds the sustained rate exactly (virtual time)', async () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ ratePerSecond: 1000, burst: 100, clock });
    await bucket.take(100); // the burst: no wait
    let done = false;
    const second = bucket.take(500).then(() => {
      done = true;
    });
    await clock.advanceAsync(499);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    await second;
    expect(done).toBe(true);
  });

  it('passes a batch larger than the burst (never splits it) and charges the debt', async () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ ratePerSecond: 100, burst: 10, clock });
    const big = bucket.take(210);
    await clock.advanceAsync(2000);
    await big;
    expect(Math.round(bucket.available)).toBe(0);
  });

  it('aborts a wait', async () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1, clock });
    const controller = new AbortController();
    const wait = bucket.take(100, controller.signal);
    controller.abort();
    await expect(wait).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
