import { z } from 'zod';
import { millisSchema, nonNegativeMillisSchema } from '../config/millis-schema.js';
import type { Clock } from '../clock/clock.js';
import type { LeaseStore } from '../contracts/lease-store.js';
import type { ProviderCallOptions, TrafficWeights } from '../contracts/region-provider.js';
import type { Syncer } from '../contracts/syncer.js';
import type { EventSource, WithErrorEvent } from '../events/typed-emitter.js';
import type { HealthEvents, RegionHealth } from '../health/health-types.js';
import { regionIdSchema } from '../regions/region.js';
import { hasMethods } from '../config/has-methods.js';
import { isMetrics } from '../metrics/is-metrics.js';
import type { Metrics } from '../metrics/metrics.js';

// z.custom keeps the caller's object itself (z.object would copy it and lose class identity).
const has = <T>(methods: string[], what: string) => z.custom<T>((v) => hasMethods(v, methods), `must be ${what} (with ${methods.join(', ')})`);
const millis = millisSchema;

/** @internal */
export const failoverOptionsSchema = z
  .object({
    regions: z
      .array(z.looseObject({ id: regionIdSchema, priority: z.number().int().min(0), weight: z.number().gt(0).finite() }))
      .min(1, 'at least one region is required'),
    monitor: has<HealthView>(['on', 'get'], 'a HealthMonitor'),
    provider: has<TrafficShifter>(['setTraffic'], 'a RegionProvider'),
    mode: z.enum(['active-passive', 'active-active']).default('active-passive'),
    automatic: z.boolean().default(true),
    failback: z
      .object({
        automatic: z.boolean().default(true),
        holdDownMillis: millis.default(300_000),
        maxLagMillis: millis.default(5_000),
      })
      .prefault({}),
    syncer: has<Syncer>(['status', 'waitForLag'], 'a Syncer').optional(),
    leaseStore: has<LeaseStore>(['acquire', 'renew', 'release', 'current'], 'a LeaseStore').optional(),
    leaseName: z.string().min(1).default('meridian-failover'),
    holderId: z.string().min(1).optional(),
    leaseTtlMillis: millis.min(2, 'must be >= 2 (the lease is renewed more often than it expires)').default(15_000),
    leaseRenewMillis: millis.optional(),
    drainMillis: nonNegativeMillisSchema.default(30_000),
    maxSyncLagMillis: millis.default(5_000),
    syncTimeoutMillis: millis.default(60_000),
    verifyAttempts: z.number().int().min(1).max(100).default(5),
    verifyIntervalMillis: nonNegativeMillisSchema.default(200),
    healthWaitMillis: millis.default(300_000),
    historyLimit: z.number().int().min(1).max(10_000).default(50),
    clock: has<Clock>(['now', 'setTimeout'], 'a Clock').optional(),
    metrics: z.custom<Metrics>(isMetrics, 'must be a Metrics (with counter, gauge, histogram, onCollect)').optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.leaseRenewMillis !== undefined && o.leaseRenewMillis >= o.leaseTtlMillis) {
      ctx.addIssue({ code: 'custom', path: ['leaseRenewMillis'], message: `leaseRenewMillis must be smaller than leaseTtlMillis (${o.leaseTtlMillis})`, input: o.leaseRenewMillis });
    }
  })
  .transform((o) => ({ ...o, leaseRenewMillis: o.leaseRenewMillis ?? defaultLeaseRenewMillis(o.leaseTtlMillis) }));

/** @internal The renew period when none is given: 5000, or a third of the TTL when that is shorter (at least 1). */
export function defaultLeaseRenewMillis(leaseTtlMillis: number): number {
  return Math.max(1, Math.min(5_000, Math.floor(leaseTtlMillis / 3)));
}

/** The health a manager reacts to: a {@link HealthMonitor} fits. */
export interface HealthView extends Pick<EventSource<WithErrorEvent<HealthEvents>>, 'on'> {
  /** Current health of one region. */
  get(regionId: string): RegionHealth;
}

/** What a manager needs of a provider: a {@link RegionProvider} fits. */
export interface TrafficShifter {
  /** Applies weights (DNS / load balancer). */
  setTraffic(weights: TrafficWeights, options?: ProviderCallOptions): Promise<void>;
  /** Which region answers through the traffic layer now, if the provider can tell. */
  resolveRoute?(options?: ProviderCallOptions): Promise<string | undefined>;
}

/** A region as the failover manager needs it (a {@link Region} fits). */
export interface FailoverRegion {
  /** Region id. */
  id: string;
  /** Lower is preferred: 0 is the primary ("home"), then 1, 2 ... */
  priority: number;
  /** Share of traffic in active-active mode. */
  weight: number;
}

/** Failback settings. */
export interface FailbackOptions {
  /** Fail back on its own once the home region is healthy again. Default true. */
  automatic?: boolean;
  /** How long a recovered region must stay healthy before it regains traffic. Default 300000 (5 min). */
  holdDownMillis?: number;
  /** With a Syncer: the home region's lag must be under this. Default 5000. */
  maxLagMillis?: number;
}

/** Options of {@link FailoverManager}. */
export interface FailoverManagerOptions {
  /** Regions, ordered by `priority` for failover. */
  regions: FailoverRegion[];
  /** Health source (a HealthMonitor). */
  monitor: HealthView;
  /** Where traffic is shifted (a RegionProvider). */
  provider: TrafficShifter;
  /** `active-passive` (all traffic to one region, default) or `active-active` (spread by weight over healthy regions). */
  mode?: 'active-passive' | 'active-active';
  /** React to health changes on its own. Default true. */
  automatic?: boolean;
  /** Failback settings. */
  failback?: FailbackOptions;
  /** Replication, when data must be in step before traffic moves. */
  syncer?: Syncer;
  /** Who may act. Default a MemoryLeaseStore (one instance). */
  leaseStore?: LeaseStore;
  /** Lease name shared by the instances that coordinate. Default `meridian-failover`. */
  leaseName?: string;
  /** This instance's identity. Default host name, pid and a random suffix. */
  holderId?: string;
  /** Lease time to live. 2..2147483647, default 15000. */
  leaseTtlMillis?: number;
  /**
   * How often the lease is renewed (or tried). Must be < leaseTtlMillis. Default
   * 5000, or a third of leaseTtlMillis (rounded down, at least 1) when that is shorter.
   */
  leaseRenewMillis?: number;
  /** Planned failover with `drain`: time given to in-flight work on the old region. Default 30000. */
  drainMillis?: number;
  /** Sync step: replication lag the target must be under. Default 5000. */
  maxSyncLagMillis?: number;
  /** Sync step: give up after this long. Default 60000. */
  syncTimeoutMillis?: number;
  /** Verify-routing: attempts through the provider before the step fails. Default 5. */
  verifyAttempts?: number;
  /** Verify-routing: pause between attempts. Default 200. */
  verifyIntervalMillis?: number;
  /** `failback({ waitForHealth })`: longest wait for the home region. Default 300000. */
  healthWaitMillis?: number;
  /** Operations kept in `status().history`. Default 50. */
  historyLimit?: number;
  /** Time source. Default the system clock. */
  clock?: Clock;
  /** Where `meridian_failovers_total` and `meridian_traffic_weight` are recorded. Default `noopMetrics`. */
  metrics?: Metrics;
}

/** @internal */
export type ResolvedFailoverOptions = z.output<typeof failoverOptionsSchema>;
