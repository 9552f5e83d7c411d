import { MAX_TIMER_MILLIS, MeridianError } from '@meridian/core';
import { z } from 'zod';
import type { Route } from '../admin-server.js';
import type { ControlPlane } from '../control-plane.js';
import { HttpError } from '../http-errors.js';
import { healthView } from '../health-view.js';
import type { Operations } from '../operations.js';
import { knownRegion, parseBody } from './route-helpers.js';

const cancelBody = z.object({ reason: z.string().min(1).max(200).optional(), waitMillis: z.number().int().positive().max(MAX_TIMER_MILLIS).default(60_000) }).strict();
const priorityBody = z
  .object({
    priorities: z.record(z.string().min(1), z.number().int().min(0, 'must be >= 0')).optional(),
    order: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict()
  .refine((b) => (b.priorities === undefined) !== (b.order === undefined), 'give priorities or order, one of them')
  .refine((b) => b.order === undefined || new Set(b.order).size === b.order.length, 'order: a region appears twice');
const checkBody = z.object({ region: z.string().min(1).optional() }).strict();
const healthBody = z
  .object({
    intervalMillis: z.number().int().optional(),
    timeoutMillis: z.number().int().optional(),
    failuresBeforeUnhealthy: z.number().int().optional(),
    successesBeforeHealthy: z.number().int().optional(),
    degradedLatencyMillis: z.number().nullable().optional(),
    degradedAvailability: z.number().nullable().optional(),
  })
  .strict();

/**
 * What changes while the agent runs: `GET /v1/operations`, `POST
 * /v1/operations/:id/cancel` (answers once the operation, rollback included,
 * has settled), `GET|PUT /v1/failover/priorities`, `GET|PUT /v1/health/settings`,
 * `POST /v1/health/check` (probes now: one region, or every one the monitor watches).
 */
export function runtimeRoutes(plane: ControlPlane, operations: Operations): Route[] {
  const { failover, monitor } = plane;
  return [
    { method: 'GET', path: /^\/v1\/operations$/, handle: async () => ({ json: { operations: operations.list() } }) },
    {
      method: 'POST',
      path: /^\/v1\/operations\/([^/]+)\/cancel$/,
      handle: async (ctx) => {
        const body = parseBody(cancelBody, await ctx.body());
        return { json: { operation: await operations.cancel(ctx.params[0]!, body.reason ?? 'cancelled by meridian cancel', body.waitMillis) } };
      },
    },
    { method: 'GET', path: /^\/v1\/failover\/priorities$/, handle: async () => ({ json: { priorities: failover.priorities(), home: failover.status().home } }) },
    {
      method: 'PUT',
      path: /^\/v1\/failover\/priorities$/,
      handle: async (ctx) => {
        const body = parseBody(priorityBody, await ctx.body());
        // An order names regions first to last; those left out keep their place after them.
        const priorities = body.priorities ?? orderToPriorities(body.order!.map((id) => knownRegion(plane, id)), failover.priorities());
        for (const id of Object.keys(priorities)) knownRegion(plane, id);
        return { json: { priorities: failover.setPriorities(priorities), home: failover.status().home } };
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/health\/check$/,
      handle: async (ctx) => {
        const body = parseBody(checkBody, await ctx.body());
        const ids = body.region !== undefined ? [knownRegion(plane, body.region)] : monitor.snapshot().map((h) => h.regionId);
        const probes = await Promise.all(ids.map((id) => monitor.probeNow(id)));
        // Each region as the monitor sees it after its probe: the view `meridian health` prints.
        return { json: { probes, regions: healthView(plane).regions.filter((r) => ids.includes(r.regionId)) } };
      },
    },
    { method: 'GET', path: /^\/v1\/health\/settings$/, handle: async () => ({ json: { settings: monitor.settings } }) },
    {
      method: 'PUT',
      path: /^\/v1\/health\/settings$/,
      handle: async (ctx) => {
        const body = parseBody(healthBody, await ctx.body());
        try {
          return { json: { settings: monitor.configure(body) } };
        } catch (error) {
          // The monitor's INVALID_CONFIG names the setting; from the CLI it is a bad argument.
          if (MeridianError.hasCode(error, 'INVALID_CONFIG')) throw new HttpError(400, 'INVALID_ARGUMENT', error.message);
          throw error;
        }
      },
    },
  ];
}

function orderToPriorities(order: string[], current: Array<{ id: string; priority: number }>): Record<string, number> {
  const rest = current.map((p) => p.id).filter((id) => !order.includes(id));
  return Object.fromEntries([...order, ...rest].map((id, index) => [id, index]));
}
