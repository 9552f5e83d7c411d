import type { CrossRegionSync, Disposable, FailoverManager } from '@meridian/core';
import type { Log } from './logger.js';

/**
 * In active-passive sync the only writer must be where traffic is: when a
 * failover or failback completes with all traffic on one region, that region
 * becomes the sync primary (`CrossRegionSync.promote`). A planned failover has
 * already waited for its lag (the sync step); an automatic one moves because
 * the old primary is gone, and whatever it had not sent comes back through
 * anti-entropy when it returns, settled by the conflict policy. A drill ends
 * with traffic where it was, so the primary stays.
 */
export function syncFollowsTraffic(failover: FailoverManager, sync: CrossRegionSync, log: Log): Disposable {
  return failover.on('failover:completed', (report) => {
    if (sync.status().mode !== 'active-passive') return;
    const serving = Object.entries(report.weightsAfter).filter(([, w]) => w > 0).map(([id]) => id);
    if (serving.length !== 1 || serving[0] === sync.primary) return;
    const before = sync.primary;
    sync.promote(serving[0]!);
    log(`sync: primary ${before} -> ${serving[0]} (all traffic is there after the ${report.kind} failover)`);
  });
}
