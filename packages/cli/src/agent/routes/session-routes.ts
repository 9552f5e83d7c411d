import { haversineKm, MeridianError } from '@meridian/core';
import type { SessionMigrator } from '@meridian/session-migration';
import { z } from 'zod';
import type { Route } from '../admin-server.js';
import type { ControlPlane } from '../control-plane.js';
import { HttpError } from '../http-errors.js';
import type { Operations } from '../operations.js';
import { knownRegion, parseBody, type Send } from './route-helpers.js';
import { trackedReply } from './tracked-reply.js';

const addBody = z.object({ id: z.string().min(1), region: z.string().min(1), state: z.unknown().optional(), clientIp: z.string().min(1).optional() }).strict();
const migrateBody = z.object({ to: z.string().min(1) }).strict();
const evacuateBody = z.object({ to: z.string().min(1).optional() }).strict();

/**
 * Sessions: `GET /v1/sessions`, `POST /v1/sessions` (creates one in its region
 * process and registers it), `POST /v1/sessions/:id/migrate`,
 * `POST /v1/regions/:id/evacuate`. A kind without a session adapter answers
 * each with 501 SESSIONS_UNSUPPORTED.
 */
export function sessionRoutes(plane: ControlPlane, operations: Operations): Route[] {
  const supported = (): { migrator: SessionMigrator; create: NonNullable<ControlPlane['kind']['sessions']>['create'] } => {
    if (!plane.migrator || !plane.kind.sessions) {
      throw new HttpError(501, 'SESSIONS_UNSUPPORTED', `the ${plane.config.provider.kind} provider has no session adapter: Meridian cannot snapshot or move sessions inside its regions (session commands work with provider.kind: local)`);
    }
    return { migrator: plane.migrator, create: plane.kind.sessions.create };
  };
  return [
    {
      method: 'GET',
      path: /^\/v1\/sessions$/,
      handle: async ({ query }) => {
        const { migrator } = supported();
        const region = query.get('region') ?? undefined;
        if (region !== undefined) knownRegion(plane, region);
        return { json: { sessions: migrator.sessions(region), statistics: migrator.statistics() } };
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/sessions$/,
      handle: async (ctx) => {
        const { migrator, create } = supported();
        const body = parseBody(addBody, await ctx.body());
        const region = knownRegion(plane, body.region);
        const existing = migrator.getSession(body.id);
        if (existing) throw new MeridianError('INVALID_ARGUMENT', `session "${body.id}" is already registered (in ${existing.region})`);
        await create(region, body.id, body.state);
        const session = migrator.register({ id: body.id, region, metadata: body.clientIp ? { clientIp: body.clientIp } : {} });
        // Answered once the registration is in the registry: with a directory store, a session the CLI was told is
        // added survives an agent that dies right after.
        await migrator.flush();
        return { status: 201, json: { session } };
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/sessions\/([^/]+)\/migrate$/,
      handle: async (ctx) => {
        const { migrator } = supported();
        const { to } = parseBody(migrateBody, await ctx.body());
        const target = knownRegion(plane, to);
        const sessionId = ctx.params[0]!;
        let emit: Send = () => undefined;
        return trackedReply(
          operations,
          'migrate',
          (send) => {
            emit = send;
            return [];
          },
          () => {
            const op = migrator.migrate(sessionId, target);
            // The migration's first step waits for its lock, so nothing is missed by listening just after the start.
            op.onProgress((p) => emit({ type: 'progress', step: p.step.name, status: p.step.status, detail: p.step.detail }));
            return { handle: op, done: op.done };
          },
        );
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/regions\/([^/]+)\/evacuate$/,
      handle: async (ctx) => {
        const { migrator } = supported();
        const body = parseBody(evacuateBody, await ctx.body());
        const from = knownRegion(plane, ctx.params[0]!);
        const to = body.to === undefined ? evacuationTarget(plane, from) : knownRegion(plane, body.to);
        if (to === from) throw new MeridianError('INVALID_ARGUMENT', `cannot evacuate ${from} into itself`);
        return trackedReply(
          operations,
          'evacuate',
          (emit) => {
            emit({ type: 'start', from, to, sessions: migrator.sessions(from).length });
            return [
              migrator.on('session:migrated', (e) => {
                if (e.from === from) emit({ type: 'progress', sessionId: e.sessionId, to: e.to, status: 'migrated', durationMillis: e.durationMillis });
              }),
              migrator.on('session:migration-failed', (e) => {
                if (e.from === from) emit({ type: 'progress', sessionId: e.sessionId, to: e.to, status: 'failed', error: e.error });
              }),
            ];
          },
          () => {
            // Cancel stops new migrations; the ones running roll back (the session stays in `from`).
            const controller = new AbortController();
            const done = migrator.evacuate(from, { to, signal: controller.signal }).then((result) => ({ from, to, ...result }));
            // Every session it started with is either moved or, failed or rolled back by a cancel, still in `from`.
            const summarize = (r: Awaited<typeof done>): string => `${r.migrated.length} session${r.migrated.length === 1 ? '' : 's'} moved to ${r.to}, ${r.failed.length} still in ${r.from}`;
            return { handle: { cancel: (reason?: string) => controller.abort(new Error(reason ?? 'cancelled')) }, done, summarize };
          },
        );
      },
    },
  ];
}

// With a GeoRouter and a client IP on every session, each goes to its users' nearest healthy region;
// otherwise all go to the healthy region nearest the one being emptied.
function evacuationTarget(plane: ControlPlane, from: string): string {
  const sessions = plane.migrator!.sessions(from);
  if (plane.router && sessions.every((s) => s.metadata['clientIp'])) return 'nearest-healthy';
  const origin = plane.config.regions.find((r) => r.id === from)!.location;
  const candidates = plane.kind
    .regions()
    .filter((r) => r.id !== from && ['healthy', 'degraded'].includes(plane.monitor.get(r.id).state))
    .sort((a, b) => haversineKm(origin, a.location) - haversineKm(origin, b.location));
  if (candidates.length === 0) throw new MeridianError('REGION_UNAVAILABLE', `no healthy region to evacuate ${from} into`);
  return candidates[0]!.id;
}
