import { MAX_TIMER_MILLIS } from '@meridian/core';
import { z } from 'zod';
import type { Route } from '../admin-server.js';
import type { ControlPlane } from '../control-plane.js';
import { HttpError } from '../http-errors.js';
import { place } from '../placement.js';
import type { Operations } from '../operations.js';
import { knownRegion, parseBody, type Send } from './route-helpers.js';
import { trackedReply } from './tracked-reply.js';

const deployBody = z
  .object({
    regions: z.array(z.string().min(1)).min(1).optional(),
    auto: z
      .object({
        count: z.number().int().min(1),
        near: z.array(z.string().min(1)).optional(),
        maxCostPerHour: z.number().positive().optional(),
      })
      .strict()
      .optional(),
    strategy: z.enum(['active-active', 'active-passive', 'regional']).optional(),
  })
  .strict()
  .refine((b) => !(b.regions && b.auto), 'give regions or auto, not both');
const failoverBody = z.object({ to: z.string().min(1), dryRun: z.boolean().default(false), force: z.boolean().default(false), drain: z.boolean().default(false) }).strict();
const failbackBody = z.object({ verifySync: z.boolean().default(false), waitForHealth: z.boolean().default(false) }).strict();
const drillBody = z.object({ to: z.string().min(1), durationMillis: z.number().int().positive().max(MAX_TIMER_MILLIS, `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`) }).strict();

/** `POST /v1/deploy`, `/v1/failover`, `/v1/failback`, `/v1/drill`: NDJSON progress, then the report; each tracked in `operations` for cancel. */
export function operationRoutes(plane: ControlPlane, operations: Operations): Route[] {
  const { deployments, failover } = plane;
  // The manager runs one operation at a time (it refuses a second), so its progress events here are this one's.
  const steps = (emit: Send) => [failover.on('failover:progress', (p) => emit({ type: 'progress', step: p.step.name, status: p.step.status, detail: p.step.detail }))];
  return [
    {
      method: 'POST',
      path: /^\/v1\/deploy$/,
      handle: async (ctx) => {
        const body = parseBody(deployBody, await ctx.body());
        const placement = body.auto ? await place(plane, body.auto) : undefined;
        const regions = placement ? placement.picks.map((p) => p.regionId) : (body.regions ?? plane.config.regions.map((r) => r.id)).map((id) => knownRegion(plane, id));
        const strategy = body.strategy ?? plane.config.failover.mode;
        // One deployment at a time (Deployments refuses a second), so every deployer event here is this one's.
        const { deployer } = deployments;
        return trackedReply(
          operations,
          'deploy',
          (emit) => {
            emit({ type: 'start', regions, strategy, ...(placement ? { placement } : {}) });
            return [
              deployer.on('deploy:progress', (p) => emit({ type: 'progress', regionId: p.step.regionId, step: p.step.step, status: p.step.status, message: p.step.message, completed: p.completed, failed: p.failed, total: p.total })),
              deployer.on('deploy:region-completed', (e) => emit({ type: 'region-completed', regionId: e.regionId, endpoint: e.endpoint, durationMillis: e.durationMillis })),
              deployer.on('deploy:region-failed', (e) => emit({ type: 'region-failed', regionId: e.regionId, error: e.error })),
            ];
          },
          () => started(deployments.start({ regions, strategy, applyTraffic: body.strategy !== undefined })),
        );
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/failover$/,
      handle: async (ctx) => {
        const body = parseBody(failoverBody, await ctx.body());
        if (body.dryRun) return { json: { dryRun: true, plan: failover.plan({ to: body.to, force: body.force }) } };
        return trackedReply(operations, 'failover', steps, () => started(failover.failover({ to: body.to, force: body.force, drain: body.drain, reason: `meridian failover --to ${body.to}` })));
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/failback$/,
      handle: async (ctx) => {
        const body = parseBody(failbackBody, await ctx.body());
        if (body.verifySync && !plane.sync) throw new HttpError(400, 'INVALID_ARGUMENT', 'failback --verify-sync needs sync.enabled: true in the config');
        return trackedReply(operations, 'failback', steps, () => started(failover.failback({ verifySync: body.verifySync, waitForHealth: body.waitForHealth })));
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/drill$/,
      handle: async (ctx) => {
        const body = parseBody(drillBody, await ctx.body());
        return trackedReply(operations, 'drill', steps, () => started(failover.drill({ to: body.to, durationMillis: body.durationMillis })));
      },
    },
  ];
}

// An engine's Operation is both the handle and what settles.
function started<T>(op: { readonly id: string; cancel(reason?: string): void; readonly done: Promise<T> }): { handle: typeof op; done: Promise<T> } {
  return { handle: op, done: op.done };
}
