import type { ControlPlane } from './control-plane.js';

/**
 * Traffic distribution for `meridian status`: requests per region as the data
 * plane counted them (the local front door's TrafficRouter), since the agent
 * started. Undefined when the provider has no front door of the agent's own
 * (the traffic then flows through DNS or a cloud load balancer, which the agent does not see).
 */
export function trafficView(plane: ControlPlane) {
  const stats = plane.kind.frontDoorStats();
  if (!stats) return undefined;
  // Shares of the attempts regions received (a retried request counts in each region it tried).
  const attempts = Object.values(stats.byRegion).reduce((n, s) => n + s.requests, 0);
  const byRegion = Object.fromEntries(
    plane.config.regions.map((r) => {
      const s = stats.byRegion[r.id];
      return [r.id, { requests: s?.requests ?? 0, served: s?.served ?? 0, failures: s?.failures ?? 0, share: attempts > 0 ? Math.round(((s?.requests ?? 0) / attempts) * 1000) / 10 : 0 }];
    }),
  );
  return { source: `front door ${plane.kind.frontDoorUrl()}`, requests: stats.requests, served: stats.served, failures: stats.failures, retried: stats.retried, byRegion };
}

/** The JSON `status` shows under `traffic`. */
export type TrafficView = NonNullable<ReturnType<typeof trafficView>>;
