import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manual-clock.js';
import { MeridianError } from '../errors/meridian-error.js';
import { compareHlc, decodeHlc, encodeHlc, HybridLogicalClock, hlcWall } from './hlc.js';

describe('HybridLogicalClock', () => {
  it('never goes backwards, even when physical time does', () => {
    const clock = new ManualClock(1_000_000);
    const hlc = new HybridLogicalClock({ node: 'a', clock });
    const first = hlc.now();
    const second = hlc.now();
    expect(compareHlc(second, first)).toBeGreaterThan(0);
    // A second node whose physical clock is behind: it continues after what it received.
    const now = new ManualClock(998_000);
    const behind = new HybridLogicalClock({ node: 'b', clock: now });
    behind.receive(second);
    const third = behind.now();
    expect(compareHlc(third, second)).toBeGreaterThan(0);
    expect(hlcWall(third)).toBe(1_000_000);
  });

  it('orders after a received timestamp (causality) and its string order is the total order', () => {
    const a = new HybridLogicalClock({ node: 'a', clock: new ManualClock(2_000) });
    const b = new HybridLogicalClock({ node: 'b', clock: new ManualClock(1_000) });
    const fromA = a.now();
    b.receive(fromA);
    const fromB = b.now();
    expect(fromB > fromA).toBe(true);
    expect(decodeHlc(fromB)).toEqual({ wall: 2_000, logical: 2, node: 'b' });
    const encoded = [
      { wall: 9, logical: 0, node: 'z' },
      { wall: 10, logical: 0, node: 'a' },
      { wall: 10, logical: 1, node: 'a' },
      { wall: 10, logical: 1, node: 'b' },
    ].map(encodeHlc);
    expect([...encoded].reverse().sort()).toEqual(encoded);
  });

  it('refuses a remote timestamp beyond maxClockSkewMillis with CLOCK_SKEW and keeps its own order', () => {
    const clock = new ManualClock(10_000);
    const hlc = new HybridLogicalClock({ node: 'a', clock, maxClockSkewMillis: 5_000 });
    const before = hlc.now();
    const future = encodeHlc({ wall: 16_000, logical: 0, node: 'b' });
    let error: unknown;
    try {
      hlc.receive(future);
    } catch (e) {
      error = e;
    }
    expect(MeridianError.hasCode(error, 'CLOCK_SKEW')).toBe(true);
    expect((error as MeridianError).details).toMatchObject({ skewMillis: 6_000, node: 'b' });
    const after = hlc.now();
    expect(hlcWall(after)).toBe(10_000); // not dragged into the future
    expect(after > before).toBe(true);
    hlc.receive(encodeHlc({ wall: 15_000, logical: 0, node: 'b' })); // exactly at the bound is fine
    expect(hlcWall(hlc.now())).toBe(15_000);
  });

  it('borrows the next millisecond instead of overflowing the counter', () => {
    const hlc = new HybridLogicalClock({ node: 'a', clock: new ManualClock(5) });
    hlc.receive(encodeHlc({ wall: 5, logical: 999_998, node: 'b' }));
    expect(decodeHlc(hlc.now())).toEqual({ wall: 6, logical: 0, node: 'a' });
  });

  it('rejects malformed timestamps and node ids', () => {
    const hlc = new HybridLogicalClock({ node: 'a', clock: new ManualClock(0) });
    expect(() => hlc.receive('tomorrow')).toThrow(/not an HLC timestamp/);
    expect(() => new HybridLogicalClock({ node: 'has space', clock: new ManualClock(0) })).toThrow(/node id/);
  });
});
