import { z } from 'zod';
import type { Route } from '../admin-server.js';
import type { ControlPlane } from '../control-plane.js';
import { eachRegionEvent } from '../each-region-event.js';
import { knownRegion, parseBody } from './route-helpers.js';

const destroyBody = z.object({ regions: z.array(z.string().min(1)).min(1).optional() }).strict();

/**
 * `POST /v1/destroy`: tears the deployment down in the given regions (all
 * when none are named). With every region gone the failover manager stops
 * first (so nothing shifts traffic to, or re-creates, what is being deleted)
 * and what the regions shared goes too; the next deploy starts it again.
 */
export function destroyRoutes(plane: ControlPlane): Route[] {
  let failoverStopped = false;
  plane.deployments.onReport((report) => {
    const back = report.regions.filter((r) => r.status === 'completed').map((r) => r.regionId);
    if (!failoverStopped || back.length === 0) return;
    failoverStopped = false;
    // As at start-up: the manager starts once the regions are seen healthy (bounded), so it puts traffic on the home region, not on whichever answered first.
    const { intervalMillis, timeoutMillis, successesBeforeHealthy } = plane.config.health;
    void eachRegionEvent(plane.monitor, 'region:healthy', back.filter((id) => plane.monitor.state(id) !== 'healthy'), intervalMillis * (successesBeforeHealthy + 1) + timeoutMillis + 500).then(() => plane.failover.start());
  });
  return [
    {
      method: 'POST',
      path: /^\/v1\/destroy$/,
      handle: async (ctx) => {
        const body = parseBody(destroyBody, await ctx.body());
        const all = plane.config.regions.map((r) => r.id);
        const ids = body.regions ? [...new Set(body.regions.map((id) => knownRegion(plane, id)))] : all;
        const everything = all.every((id) => ids.includes(id));
        const started = Date.now();
        if (everything && !failoverStopped) {
          await plane.failover.close();
          failoverStopped = true;
        }
        await plane.kind.destroy(ids, everything, AbortSignal.timeout(600_000));
        plane.deployments.forget(ids);
        const left = (await Promise.all(ids.map(async (id) => ({ id, state: (await plane.provider.status(id)).state })))).filter((r) => r.state !== 'not-deployed');
        return { json: { destroyed: ids, all: everything, failoverStopped, durationMillis: Date.now() - started, stillDeployed: left } };
      },
    },
  ];
}
