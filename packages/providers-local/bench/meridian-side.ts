// The Meridian side of the HAProxy comparison: the local front door steered by a
// HealthMonitor and a FailoverManager, wired as in examples/quickstart.
import { FailoverManager, HealthMonitor } from '@meridian/core';
import { waitForEvent } from '@meridian/testkit';
import type { LocalProvider } from '../src/index.js';

/** A proxy under test: where clients send requests, and how to stop it. */
export interface BenchSide {
  /** Base URL, e.g. `http://127.0.0.1:40001`. */
  readonly url: string;
  /** Stops it. Idempotent. */
  close(): Promise<void>;
}

/** Health settings, the same numbers HAProxy gets (`inter 1s fall 3 rise 2`, `timeout check 500ms`). */
export const MERIDIAN_HEALTH = { intervalMillis: 1_000, timeoutMillis: 500, failuresBeforeUnhealthy: 3, successesBeforeHealthy: 2 } as const;

const READY_TIMEOUT_MILLIS = 10_000;

/**
 * Starts the front door, a HealthMonitor over every deployed region and a
 * FailoverManager, and resolves once all regions are healthy and the manager has
 * put all traffic on the primary (priority 0).
 */
export async function startMeridianSide(provider: LocalProvider): Promise<BenchSide> {
  const monitor = new HealthMonitor({ ...MERIDIAN_HEALTH });
  // The door feeds every request's outcome to the monitor (passive detection) and retries on another region.
  const door = await provider.startFrontDoor({ monitor });
  const regions = provider.regions();
  const allHealthy = Promise.all(
    regions.map((r) => waitForEvent(monitor, 'region:healthy', { filter: (e) => e.regionId === r.id, timeoutMillis: READY_TIMEOUT_MILLIS })),
  );
  for (const region of regions) monitor.add(region);
  monitor.start();
  let manager: FailoverManager | undefined;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await manager?.stop();
    await monitor.stop();
    await door.close();
  };
  try {
    await allHealthy;
    manager = new FailoverManager({ regions, monitor, provider });
    const initialTraffic = waitForEvent(manager, 'traffic:changed', { timeoutMillis: READY_TIMEOUT_MILLIS });
    await manager.start();
    await initialTraffic;
  } catch (error) {
    await close();
    throw error;
  }
  return { url: door.url, close };
}
