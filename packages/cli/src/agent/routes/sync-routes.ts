import { MAX_TIMER_MILLIS } from '@meridian/core';
import { z } from 'zod';
import type { Route } from '../admin-server.js';
import type { ControlPlane } from '../control-plane.js';
import { HttpError } from '../http-errors.js';
import { directoryInStep, directorySyncStatus } from '../directory-sync.js';
import { knownRegion, parseBody } from './route-helpers.js';

const writeBody = z.object({ value: z.unknown() }).strict().refine((b) => b.value !== undefined, 'value is required');

/**
 * Replication: `GET /v1/sync` (status, with the data directories' sync under
 * `directory` when it runs; `?waitMillis=N` first runs rounds until every
 * region's lag is 0, for at most N ms), `PUT` and `GET /v1/sync/data/:region/:key`.
 */
export function syncRoutes(plane: ControlPlane, configPath: string): Route[] {
  const syncer = () => {
    if (!plane.sync) throw new HttpError(400, 'SYNC_DISABLED', `sync is not enabled: set sync.enabled: true in ${configPath}`);
    return plane.sync;
  };
  return [
    {
      method: 'GET',
      path: /^\/v1\/sync$/,
      handle: async ({ query }) => {
        const sync = syncer();
        const directory = plane.directorySync;
        const waitMillis = query.has('waitMillis') ? Number(query.get('waitMillis')) : undefined;
        let converged: boolean | undefined;
        if (waitMillis !== undefined) {
          if (!Number.isInteger(waitMillis) || waitMillis <= 0 || waitMillis > MAX_TIMER_MILLIS) throw new HttpError(400, 'INVALID_ARGUMENT', `waitMillis must be a positive integer <= ${MAX_TIMER_MILLIS}`);
          const signal = AbortSignal.timeout(waitMillis);
          const waits = sync.status().regions.map((r) => sync.waitForLag(r.regionId, 0, { signal }));
          // The data directories too: every region's lag 0 and nothing received still waiting to be written.
          if (directory) waits.push(directoryInStep(directory, signal));
          converged = await Promise.all(waits).then(
            () => true,
            () => false,
          );
        }
        return { json: { ...sync.status(), ...(converged === undefined ? {} : { converged }), ...(directory ? { directory: directorySyncStatus(directory) } : {}) } };
      },
    },
    {
      method: 'PUT',
      path: /^\/v1\/sync\/data\/([^/]+)\/(.+)$/,
      handle: async (ctx) => {
        const sync = syncer();
        const region = knownRegion(plane, ctx.params[0]!);
        const { value } = parseBody(writeBody, await ctx.body());
        return { json: await sync.write(region, ctx.params[1]!, value) };
      },
    },
    {
      method: 'GET',
      path: /^\/v1\/sync\/data\/([^/]+)\/(.+)$/,
      handle: async (ctx) => {
        const sync = syncer();
        const region = knownRegion(plane, ctx.params[0]!);
        const value = await sync.read(region, ctx.params[1]!);
        return { json: { regionId: region, key: ctx.params[1], found: value !== undefined, value } };
      },
    },
  ];
}
