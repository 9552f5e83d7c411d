import type { HealthMonitor } from '@meridian/core';

/**
 * Resolves once the monitor has emitted `event` for each of `regionIds`, or
 * after `timeoutMillis` (never rejects: callers go on either way, with a
 * bounded wait). Used for the first probe of every region at start and for
 * redeployed regions turning healthy before failover starts again.
 */
export function eachRegionEvent(monitor: HealthMonitor, event: 'health:probe' | 'region:healthy', regionIds: Iterable<string>, timeoutMillis: number): Promise<void> {
  const waiting = new Set(regionIds);
  if (waiting.size === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    };
    const timer = setTimeout(done, timeoutMillis);
    const sub = monitor.on(event, (e: { regionId: string }) => {
      waiting.delete(e.regionId);
      if (waiting.size === 0) done();
    });
  });
}
