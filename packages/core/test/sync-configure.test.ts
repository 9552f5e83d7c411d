// CrossRegionSync.configure on virtual time: a new interval and a new bandwidth
// limit take effect while the loop runs; bad settings are refused by name.
import { MeridianError } from '@meridian/core';
import { afterEach, describe, expect, it } from 'vitest';
import { expectBandwidthHeld, syncFixture, type SyncFixture } from './sync-fixture.js';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.sync.close();
  fx = undefined;
});

describe('CrossRegionSync.configure', () => {
  it('a longer interval holds the next round back until it is due; a shorter one brings it forward', async () => {
    fx = syncFixture(2, { intervalMillis: 1_000 });
    await fx.sync.start();
    await fx.drive(fx.sync.syncNow());
    expect(fx.sync.configure({ intervalMillis: 60_000 })).toEqual({ intervalMillis: 60_000, maxBytesPerSecond: undefined, burstBytes: undefined });
    await fx.sync.write('us-east', 'k', 1);
    await fx.clock.advanceAsync(59_000);
    expect(await fx.writers[1]!.get('k')).toBeUndefined();
    await fx.until(async () => (await fx!.writers[1]!.get('k')) === 1, 100, 30);
    // Back to a short interval: the next write goes within it, not an hour later.
    fx.sync.configure({ intervalMillis: 500 });
    await fx.sync.write('us-east', 'k', 2);
    await fx.until(async () => (await fx!.writers[1]!.get('k')) === 2, 100, 10);
    expect(fx.sync.settings.intervalMillis).toBe(500);
  });

  it('a bandwidth limit set at runtime is held, and lifting it lets a round go at once (virtual time)', async () => {
    fx = syncFixture(2, { compression: 'none', maxBatchRecords: 20 });
    fx.sync.configure({ maxBytesPerSecond: 20_000, burstBytes: 1_024 });
    await expectBandwidthHeld(fx, 20_000, 1_024);
    fx.sync.configure({ maxBytesPerSecond: null });
    for (let i = 0; i < 200; i++) await fx.writers[0]!.put(`more:${i}`, 'y'.repeat(900));
    const before = fx.clock.now();
    await fx.drive(fx.sync.syncNow(), 10);
    expect(fx.clock.now() - before).toBeLessThan(100); // no bucket to wait on: one or two driving steps
    expect(await fx.writers[1]!.get('more:199')).toBe('y'.repeat(900));
  });

  it('refuses bad settings with INVALID_CONFIG naming the setting, and changes nothing', async () => {
    fx = syncFixture(2, { intervalMillis: 1_000 });
    for (const [settings, path] of [
      [{ intervalMillis: 0 }, 'intervalMillis'],
      [{ intervalMillis: 2 ** 31 }, 'intervalMillis'],
      [{ maxBytesPerSecond: -5 }, 'maxBytesPerSecond'],
      [{ burstBytes: 1.5 }, 'burstBytes'],
      [{ compression: 'gzip' }, 'compression'],
      [{}, '(root)'],
    ] as const) {
      const error = (() => {
        try {
          fx!.sync.configure(settings as never);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(MeridianError.isInstance(error), JSON.stringify(settings)).toBe(true);
      expect((error as MeridianError).code).toBe('INVALID_CONFIG');
      expect((error as MeridianError).message).toContain(path === '(root)' ? 'at least one of' : path);
    }
    expect(fx.sync.settings).toEqual({ intervalMillis: 1_000, maxBytesPerSecond: undefined, burstBytes: undefined });
    await fx.sync.close();
    expect(() => fx!.sync.configure({ intervalMillis: 5 })).toThrow(expect.objectContaining({ code: 'SHUT_DOWN' }));
  });
});
