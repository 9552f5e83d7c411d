import { MAX_TIMER_MILLIS } from '@meridian/core';
import { z } from 'zod';
import { alertsSchema } from './alerts-schema.js';
import { checkProviderKind } from './provider-checks.js';
import { providerSchema } from './provider-schemas.js';

// The config file's schema. Defaults live here and in docs/operations/cli.md; keep both in step.
const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Node fires a timer longer than 2^31-1 ms after 1 ms: longer durations are refused.
const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;
const millis = z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE);
const nonNegativeMillis = z.number().int().min(0).max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE);
const env = z.record(z.string().regex(ENV_NAME, 'must be an environment variable name'), z.string());

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};
const isLocale = (locale: string): boolean => {
  try {
    return Intl.getCanonicalLocales(locale).length === 1;
  } catch {
    return false;
  }
};
const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(host);

const regionSchema = z
  .object({
    id: z.string().regex(ID, 'must be lowercase letters, digits and dashes, e.g. "eu-west"'),
    name: z.string().min(1).optional(),
    location: z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).strict(),
    priority: z.number().int().min(0).optional(),
    weight: z.number().gt(0).finite().default(100),
    residency: z.array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as "DE"')).optional(),
    price: z
      .object({
        hourly: z.number().nonnegative().finite(),
        currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "USD"').default('USD'),
      })
      .strict()
      .optional(),
    timezone: z.string().refine(isTimeZone, 'must be an IANA time zone such as "Europe/Dublin"').optional(),
    locale: z.string().refine(isLocale, 'must be a BCP 47 locale such as "en-IE"').optional(),
    size: z.string().min(1).max(128).optional(),
    replicas: z.number().int().min(0).max(1000).default(1),
    env: env.optional(),
    dataPath: z.string().min(1).optional(),
  })
  .strict();

/** @internal The schema of `meridian.config.{yaml,json}`. */
export const configSchema = z
  .object({
    app: z
      .object({
        name: z.string().regex(ID, 'must be lowercase letters, digits and dashes, e.g. "shop"'),
        env: env.default({}),
      })
      .strict(),
    provider: providerSchema,
    regions: z.array(regionSchema).min(1, 'at least one region is required'),
    health: z
      .object({
        intervalMillis: millis.min(2, 'must be >= 2 (a probe needs a timeout shorter than the interval)').default(5_000),
        timeoutMillis: millis.optional(),
        failuresBeforeUnhealthy: z.number().int().min(1).default(3),
        successesBeforeHealthy: z.number().int().min(1).default(2),
        degradedLatencyMillis: z.number().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).optional(),
        degradedAvailability: z.number().gt(0, 'must be a fraction above 0 (0.95 for 95 %)').max(1, 'must be a fraction up to 1 (0.95 for 95 %)').optional(),
        availabilityWindow: z.number().int().min(1).max(100_000).default(20),
        path: z.string().startsWith('/', 'must start with "/"').default('/health'),
      })
      .strict()
      // The default timeout follows a short interval: 2000, or half the interval when that is shorter.
      .transform((h) => ({ ...h, timeoutMillis: h.timeoutMillis ?? Math.min(2_000, Math.floor(h.intervalMillis / 2)) }))
      .prefault({}),
    failover: z
      .object({
        mode: z.enum(['active-passive', 'active-active']).default('active-passive'),
        automatic: z.boolean().default(true),
        failback: z
          .object({
            automatic: z.boolean().default(true),
            holdDownMillis: millis.default(300_000),
            maxLagMillis: millis.default(5_000),
          })
          .strict()
          .prefault({}),
        lease: z
          .object({
            ttlMillis: millis.min(2, 'must be >= 2 (the lease is renewed more often than it expires)').default(15_000),
            renewMillis: millis.optional(),
          })
          .strict()
          // The default renew period follows a short TTL: 5000, or a third of the TTL when that is shorter.
          .transform((l) => ({ ...l, renewMillis: l.renewMillis ?? Math.max(1, Math.min(5_000, Math.floor(l.ttlMillis / 3))) }))
          .prefault({}),
        drainMillis: nonNegativeMillis.default(30_000),
      })
      .strict()
      .prefault({}),
    sync: z
      .object({
        enabled: z.boolean().default(false),
        mode: z.enum(['active-active', 'active-passive']).default('active-active'),
        primary: z.string().min(1).optional(),
        conflictPolicy: z.enum(['latest-wins', 'primary-wins', 'manual']).default('latest-wins'),
        intervalMillis: millis.default(1_000),
        maxBytesPerSecond: z.number().positive().finite().optional(),
        timeoutMillis: millis.default(5_000),
        directory: z.object({ ignore: z.array(z.string().min(1)).default([]) }).strict().optional(),
      })
      .strict()
      .prefault({}),
    sessions: z
      .object({
        store: z
          .union([z.literal('memory'), z.object({ directory: z.string().min(1) }).strict()], { error: 'must be "memory" or { directory: PATH }' })
          .default('memory'),
        keyEnv: z.string().regex(ENV_NAME, 'must be an environment variable name').default('MERIDIAN_SNAPSHOT_KEY'),
        keyId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must match ^[A-Za-z0-9._-]{1,64}$').default('k1'),
        timeoutMillis: millis.default(30_000),
        // Checkpoints of every active session, so a region that dies hard loses none (restored from them elsewhere).
        checkpointIntervalMillis: millis.optional(),
        // Leftover migration snapshots (a delete a store outage refused) are removed this often while the agent runs.
        snapshotSweepIntervalMillis: millis.default(600_000),
        autoEvacuate: z
          .object({
            onDegraded: z.enum(['evacuate', 'ignore']).default('evacuate'),
            onUnhealthy: z.enum(['recover', 'evacuate', 'ignore']).default('recover'),
            onHealthy: z.enum(['reconcile', 'ignore']).default('reconcile'),
            fallbackTo: z.string().min(1).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    geo: z
      .object({
        database: z.string().min(1),
        fallbackRegion: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    alerts: alertsSchema.optional(),
    agent: z
      .object({
        host: z.string().refine(isLoopback, 'must be a loopback address (127.x.y.z, ::1 or localhost): the admin API never leaves this machine').default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(0),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.regions.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['regions', i, 'id'], message: `duplicate region id (also regions[${seen.get(r.id)}].id)`, input: r.id });
      seen.set(r.id, i);
    });
    if (c.health.timeoutMillis >= c.health.intervalMillis) {
      ctx.addIssue({ code: 'custom', path: ['health', 'timeoutMillis'], message: `must be smaller than health.intervalMillis (${c.health.intervalMillis})`, input: c.health.timeoutMillis });
    }
    if (c.failover.lease.renewMillis >= c.failover.lease.ttlMillis) {
      ctx.addIssue({ code: 'custom', path: ['failover', 'lease', 'renewMillis'], message: `must be smaller than failover.lease.ttlMillis (${c.failover.lease.ttlMillis})`, input: c.failover.lease.renewMillis });
    }
    if (c.sync.enabled && c.regions.length < 2) {
      ctx.addIssue({ code: 'custom', path: ['sync', 'enabled'], message: 'sync needs at least two regions', input: true });
    }
    if (c.sync.primary !== undefined && !seen.has(c.sync.primary)) {
      ctx.addIssue({ code: 'custom', path: ['sync', 'primary'], message: `not one of the regions (${[...seen.keys()].join(', ')})`, input: c.sync.primary });
    }
    const withData = c.regions.flatMap((r, i) => (r.dataPath === undefined ? [] : [i]));
    if (withData.length === 1) {
      ctx.addIssue({ code: 'custom', path: ['regions', withData[0]!, 'dataPath'], message: 'directory sync needs a dataPath in at least two regions', input: c.regions[withData[0]!]!.dataPath });
    }
    if (c.provider.kind === 'local' && c.sessions.store !== 'memory' && c.provider.dataDir === undefined) {
      // The registry in the directory lists the sessions after a restart; regions that forgot them would make it lie.
      ctx.addIssue({ code: 'custom', path: ['sessions', 'store'], message: 'a directory store keeps the session registry, so a restarted agent knows every session: set provider.dataDir too, so the local regions keep the sessions themselves', input: c.sessions.store });
    }
    const auto = c.sessions.autoEvacuate;
    if (auto?.fallbackTo !== undefined && !seen.has(auto.fallbackTo)) {
      ctx.addIssue({ code: 'custom', path: ['sessions', 'autoEvacuate', 'fallbackTo'], message: `not one of the regions (${[...seen.keys()].join(', ')})`, input: auto.fallbackTo });
    }
    if (auto?.onUnhealthy === 'recover') {
      // A dead region cannot be snapshotted: recovery restores checkpoints, and needs somewhere to put them.
      if (c.sessions.checkpointIntervalMillis === undefined) {
        ctx.addIssue({ code: 'custom', path: ['sessions', 'autoEvacuate', 'onUnhealthy'], message: 'recover restores sessions from their checkpoints: set sessions.checkpointIntervalMillis too (or onUnhealthy: evacuate)', input: 'recover' });
      }
      if (auto.fallbackTo === undefined && c.geo === undefined) {
        ctx.addIssue({ code: 'custom', path: ['sessions', 'autoEvacuate'], message: 'recover needs a target for the sessions of a dead region: set fallbackTo, or a geo database to route each by its clientIp', input: auto });
      }
    }
    if (c.geo?.fallbackRegion !== undefined && !seen.has(c.geo.fallbackRegion)) {
      ctx.addIssue({ code: 'custom', path: ['geo', 'fallbackRegion'], message: `not one of the regions (${[...seen.keys()].join(', ')})`, input: c.geo.fallbackRegion });
    }
    checkProviderKind(c, ctx);
  });

/** A validated config, defaults applied. */
export type MeridianConfig = z.output<typeof configSchema>;

/** One region of a validated config. */
export type RegionConfig = MeridianConfig['regions'][number];
