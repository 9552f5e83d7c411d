import { MeridianError, type CrossRegionSync, type PendingConflict } from '@meridian/core';
import { z } from 'zod';
import type { Route } from '../admin-server.js';
import type { ControlPlane } from '../control-plane.js';
import { HttpError } from '../http-errors.js';
import { knownRegion, parseBody } from './route-helpers.js';

const resolveBody = z
  .object({
    key: z.string().min(1),
    keep: z.string().min(1).optional(),
    value: z.unknown().optional(),
    deleted: z.literal(true).optional(),
  })
  .strict()
  .refine((b) => [b.keep !== undefined, b.value !== undefined, b.deleted !== undefined].filter(Boolean).length === 1, 'give exactly one of keep, value, deleted');
const settingsBody = z
  .object({
    intervalMillis: z.number().int().optional(),
    maxBytesPerSecond: z.number().nullable().optional(),
  })
  .strict();

/** A conflict as `meridian sync conflicts` shows it: the competing versions, one per writing region. */
export function conflictView(c: PendingConflict) {
  return {
    key: c.key,
    detectedAt: c.detectedAt,
    seenIn: c.regions,
    versions: c.versions.map((v) => ({ region: v.origin, version: v.version, deleted: v.deleted, ...(v.deleted ? {} : { value: v.value }) })),
  };
}

/** The JSON `GET /v1/sync/conflicts` answers one entry of. */
export type ConflictView = ReturnType<typeof conflictView>;

/**
 * The manual-policy queue and runtime sync settings: `GET /v1/sync/conflicts`,
 * `POST /v1/sync/resolve` (`{ key, keep: REGION }` or `{ key, value }` or
 * `{ key, deleted: true }`, through `CrossRegionSync.resolve`), `GET|PUT /v1/sync/settings`.
 */
export function syncAdminRoutes(plane: ControlPlane, configPath: string): Route[] {
  const syncer = (): CrossRegionSync => {
    if (!plane.sync) throw new HttpError(400, 'SYNC_DISABLED', `sync is not enabled: set sync.enabled: true in ${configPath}`);
    return plane.sync;
  };
  return [
    { method: 'GET', path: /^\/v1\/sync\/conflicts$/, handle: async () => ({ json: { policy: syncer().status().policy, conflicts: (await syncer().conflicts()).map(conflictView) } }) },
    {
      method: 'POST',
      path: /^\/v1\/sync\/resolve$/,
      handle: async (ctx) => {
        const sync = syncer();
        const body = parseBody(resolveBody, await ctx.body());
        const pending = await sync.conflicts();
        const conflict = pending.find((c) => c.key === body.key);
        if (!conflict) {
          const keys = pending.map((c) => c.key);
          throw new HttpError(404, 'CONFLICT_NOT_FOUND', `no pending conflict on "${body.key}"; ${keys.length ? `pending: ${keys.slice(0, 20).join(', ')}${keys.length > 20 ? ' ...' : ''}` : 'the queue is empty'} (meridian sync conflicts)`);
        }
        let outcome: { value: unknown } | { deleted: true };
        let kept: string | undefined;
        if (body.keep !== undefined) {
          kept = knownRegion(plane, body.keep);
          // The newest version a region wrote wins among its own (a region may have written twice).
          const version = conflict.versions.filter((v) => v.origin === kept).at(-1);
          if (!version) {
            throw new HttpError(400, 'NO_VERSION_IN_REGION', `${kept} has no version of "${body.key}"; versions from: ${[...new Set(conflict.versions.map((v) => v.origin))].join(', ')}`, { key: body.key, region: kept });
          }
          outcome = version.deleted ? { deleted: true } : { value: version.value };
        } else if (body.deleted) outcome = { deleted: true };
        else outcome = { value: body.value };
        const ack = await sync.resolve(body.key, outcome);
        return { json: { ack, resolved: conflictView(conflict), ...(kept ? { kept } : {}), deleted: 'deleted' in outcome } };
      },
    },
    { method: 'GET', path: /^\/v1\/sync\/settings$/, handle: async () => ({ json: { settings: syncer().settings } }) },
    {
      method: 'PUT',
      path: /^\/v1\/sync\/settings$/,
      handle: async (ctx) => {
        const sync = syncer();
        const body = parseBody(settingsBody, await ctx.body());
        try {
          return { json: { settings: sync.configure(body) } };
        } catch (error) {
          if (MeridianError.hasCode(error, 'INVALID_CONFIG')) throw new HttpError(400, 'INVALID_ARGUMENT', error.message);
          throw error;
        }
      },
    },
  ];
}
