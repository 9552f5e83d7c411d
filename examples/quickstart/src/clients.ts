import { Agent, request } from 'undici';

/** What simulated users saw. */
export interface ClientStats {
  served: number;
  failed: number;
  byRegion: Record<string, number>;
}

/**
 * Simulated users: `workers` loops sending requests through the front door,
 * one every `pauseMillis`, until stopped (bounded by `maxRequests` anyway).
 */
export function startClients(url: string, workers = 2, pauseMillis = 20, maxRequests = 50_000): { stats(): ClientStats; stop(): Promise<ClientStats> } {
  const stats: ClientStats = { served: 0, failed: 0, byRegion: {} };
  const agent = new Agent({ connections: workers });
  let running = true;
  let sent = 0;
  const loops = Array.from({ length: workers }, async (_, worker) => {
    while (running && sent++ < maxRequests) {
      try {
        const res = await request(`${url}/kv/user-${worker}`, { dispatcher: agent, signal: AbortSignal.timeout(2_000) });
        await res.body.dump();
        if (res.statusCode >= 500) stats.failed++;
        else {
          stats.served++;
          const region = String(res.headers['x-meridian-region']);
          stats.byRegion[region] = (stats.byRegion[region] ?? 0) + 1;
        }
      } catch {
        stats.failed++;
      }
      await new Promise((r) => setTimeout(r, pauseMillis));
    }
  });
  return {
    stats: () => structuredClone(stats),
    async stop() {
      running = false;
      await Promise.all(loops);
      await agent.close();
      return structuredClone(stats);
    },
  };
}

/** Difference between two snapshots: what happened in between. */
export function since(before: ClientStats, after: ClientStats): ClientStats {
  const byRegion: Record<string, number> = {};
  for (const [region, n] of Object.entries(after.byRegion)) {
    const d = n - (before.byRegion[region] ?? 0);
    if (d > 0) byRegion[region] = d;
  }
  return { served: after.served - before.served, failed: after.failed - before.failed, byRegion };
}

/** `412 served, 3 failed (us-east 200, eu-west 212)`. */
export function formatStats(s: ClientStats): string {
  const regions = Object.entries(s.byRegion)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  return `${s.served} served, ${s.failed} failed${regions ? ` (${regions})` : ''}`;
}
