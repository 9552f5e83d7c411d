import { z } from 'zod';
import type { Route } from '../admin-server.js';
import type { ControlPlane } from '../control-plane.js';
import { costsView } from '../costs-view.js';
import { healthView } from '../health-view.js';
import { statusView } from '../status-view.js';
import { parseBody } from './route-helpers.js';

const costsQuery = z
  .object({
    optimize: z.enum(['true', 'false']).optional(),
    count: z.coerce.number().int().min(1).optional(),
    maxCostPerHour: z.coerce.number().positive().optional(),
    near: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** `GET /v1/status`, `GET /v1/health`, `GET /v1/costs`. */
export function readRoutes(plane: ControlPlane, startedAt: number): Route[] {
  return [
    { method: 'GET', path: /^\/v1\/status$/, handle: async () => ({ json: await statusView(plane, startedAt) }) },
    { method: 'GET', path: /^\/v1\/health$/, handle: async () => ({ json: healthView(plane) }) },
    {
      method: 'GET',
      path: /^\/v1\/costs$/,
      handle: async ({ query }) => {
        const near = query.getAll('near');
        const q = parseBody(costsQuery, { ...Object.fromEntries([...query].filter(([k]) => k !== 'near')), ...(near.length ? { near } : {}) });
        const optimize = q.optimize === 'true' ? { ...(q.count ? { count: q.count } : {}), ...(q.near ? { near: q.near } : {}), ...(q.maxCostPerHour ? { maxCostPerHour: q.maxCostPerHour } : {}) } : undefined;
        return { json: await costsView(plane, optimize) };
      },
    },
  ];
}
