import { Agent, request } from 'undici';

/** What simulated users saw. */
export interface ClientStats {
  served: number;
  failed: number;
  /** Served, but only after the front door retried on another region (`x-meridian-attempts` > 1). */
  retried: number;
  byRegion: Record<string, number>;
}

/** One answer a user got: where, after how many tries, and when. */
export interface ServedRequest {
  region: string;
  attempts: number;
  at: number;
}

/**
 * Simulated users: `workers` loops sending requests through the front door,
 * one every `pauseMillis`, until stopped (bounded by `maxRequests` anyway).
 */
export function startClients(
  url: string,
  workers = 2,
  pauseMillis = 20,
  maxRequests = 50_000,
): { stats(): ClientStats; stop(): Promise<ClientStats>; next(match: (r: ServedRequest) => boolean): Promise<ServedRequest> } {
  const stats: ClientStats = { served: 0, failed: 0, retried: 0, byRegion: {} };
  const waiters = new Set<{ match: (r: ServedRequest) => boolean; resolve: (r: ServedRequest) => void }>();
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
          const attempts = Number(res.headers['x-meridian-attempts'] ?? 1);
          if (attempts > 1) stats.retried++;
          stats.byRegion[region] = (stats.byRegion[region] ?? 0) + 1;
          const served = { region, attempts, at: Date.now() };
          for (const waiter of waiters) {
            if (!waiter.match(served)) continue;
            waiters.delete(waiter);
            waiter.resolve(served);
          }
        }
      } catch {
        stats.failed++;
      }
      await new Promise((r) => setTimeout(r, pauseMillis));
    }
  });
  return {
    stats: () => structuredClone(stats),
    /** The next answer that matches. */
    next: (match) => new Promise((resolve) => waiters.add({ match, resolve })),
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
  return { served: after.served - before.served, failed: after.failed - before.failed, retried: after.retried - before.retried, byRegion };
}

/** `412 served, 3 failed (us-east 200, eu-west 212)`. */
export function formatStats(s: ClientStats): string {
  const regions = Object.entries(s.byRegion)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  const retried = s.retried > 0 ? `; ${s.retried} of them retried on another region by the front door` : '';
  return `${s.served} served, ${s.failed} failed${regions ? ` (${regions})` : ''}${retried}`;
}
