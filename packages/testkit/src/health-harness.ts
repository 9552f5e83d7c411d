import { HealthMonitor, type HealthMonitorOptions, type ManualClock } from '@meridian/core';
import { startScriptedServer, type ScriptedBehaviour, type ScriptedServer } from './scripted-server.js';

/** Regions served by scripted HTTP servers and watched by a real HealthMonitor on virtual time. */
export interface HealthHarness {
  readonly monitor: HealthMonitor;
  readonly servers: Record<string, ScriptedServer>;
  /** Sets how a region answers from now on. */
  set(regionId: string, behaviour: ScriptedBehaviour): void;
  /** Advances one interval (0 for the first probe round) and waits for every region's probe. */
  tick(millis?: number): Promise<void>;
  /** Ticks `n` intervals. */
  ticks(n: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts one scripted server per region and a HealthMonitor probing them in
 * lock-step (jitter 0) on `clock`, so tests decide exactly when probes happen.
 */
export async function startHealthHarness(
  regionIds: string[],
  clock: ManualClock,
  options: Omit<HealthMonitorOptions, 'regions' | 'clock' | 'jitterFraction'> = {},
): Promise<HealthHarness> {
  const servers: Record<string, ScriptedServer> = {};
  for (const id of regionIds) servers[id] = await startScriptedServer();
  const intervalMillis = options.intervalMillis ?? 1000;
  const monitor = new HealthMonitor({
    timeoutMillis: Math.floor(intervalMillis / 2),
    ...options,
    intervalMillis,
    regions: regionIds.map((id) => ({ id, endpoint: servers[id]!.url })),
    clock,
    jitterFraction: 0,
  });
  monitor.start();
  let first = true;
  const tick = async (millis?: number): Promise<void> => {
    const done = new Promise<void>((resolve, reject) => {
      let seen = 0;
      const timer = setTimeout(() => reject(new Error(`only ${seen}/${regionIds.length} probes finished`)), 5000);
      const sub = monitor.on('health:probe', () => {
        if (++seen < regionIds.length) return;
        clearTimeout(timer);
        sub.dispose();
        resolve();
      });
    });
    clock.advance(millis ?? (first ? 0 : intervalMillis));
    first = false;
    await done;
    // Let engines reacting to the health events run their promise chains.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  return {
    monitor,
    servers,
    set: (id, behaviour) => servers[id]!.set(behaviour),
    tick,
    async ticks(n) {
      for (let i = 0; i < n; i++) await tick();
    },
    async close() {
      await monitor.stop();
      await Promise.all(Object.values(servers).map((s) => s.close()));
    },
  };
}

/** Lets pending promise chains run (several macrotask turns). */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}
