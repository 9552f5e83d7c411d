// A default checked against another option follows that option instead of
// failing a check the caller never wrote (issue 20, item 5).
import { HealthMonitor, MeridianError } from '@meridian/core';
import { parseOptions } from '@meridian/core/spi';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../cli/src/config/config-schema.js';
import { webhookNotifierOptionsSchema } from '../src/alerts/webhook-options.js';
import { failoverOptionsSchema } from '../src/failover/failover-options.js';
import { healthMonitorOptionsSchema } from '../src/health/health-options.js';
import { syncOptionsSchema } from '../src/sync/sync-options.js';

const error = (run: () => unknown): MeridianError => {
  try {
    run();
  } catch (e) {
    return e as MeridianError;
  }
  throw new Error('expected a throw');
};

describe('defaults that follow another option', () => {
  it('HealthMonitor: timeoutMillis defaults to min(5000, intervalMillis / 2)', () => {
    const monitor = new HealthMonitor({ regions: [{ id: 'a', endpoint: 'http://127.0.0.1:9' }], intervalMillis: 1000 });
    void monitor.stop();
    expect(parseOptions(healthMonitorOptionsSchema, { intervalMillis: 1000 }, 'h').timeoutMillis).toBe(500);
    expect(parseOptions(healthMonitorOptionsSchema, { intervalMillis: 3 }, 'h').timeoutMillis).toBe(1);
    expect(parseOptions(healthMonitorOptionsSchema, {}, 'h').timeoutMillis).toBe(5000);
    expect(parseOptions(healthMonitorOptionsSchema, { intervalMillis: 60_000 }, 'h').timeoutMillis).toBe(5000);
  });

  it('HealthMonitor: an explicit timeout not under the interval names both values, never "got undefined"', () => {
    const e = error(() => new HealthMonitor({ regions: [], timeoutMillis: 40_000 }));
    expect(e.message).toContain('timeoutMillis: timeoutMillis must be smaller than intervalMillis (30000) (got 40000)');
    expect(error(() => new HealthMonitor({ regions: [], intervalMillis: 1 })).message).toMatch(/intervalMillis: must be >= 2 .*\(got 1\)/);
  });

  it('HealthMonitor: maxEjectionMillis defaults to at least baseEjectionMillis', () => {
    const o = parseOptions(healthMonitorOptionsSchema, { passive: { baseEjectionMillis: 600_000 } }, 'h');
    expect(o.passive.maxEjectionMillis).toBe(600_000);
    expect(parseOptions(healthMonitorOptionsSchema, {}, 'h').passive.maxEjectionMillis).toBe(300_000);
  });

  it('FailoverManager: leaseRenewMillis defaults to min(5000, leaseTtlMillis / 3)', () => {
    const base = { regions: [{ id: 'a', priority: 0, weight: 1 }], monitor: { on: () => undefined, get: () => undefined }, provider: { setTraffic: () => undefined } };
    expect(parseOptions(failoverOptionsSchema, { ...base, leaseTtlMillis: 3000 }, 'f').leaseRenewMillis).toBe(1000);
    expect(parseOptions(failoverOptionsSchema, { ...base, leaseTtlMillis: 2 }, 'f').leaseRenewMillis).toBe(1);
    expect(parseOptions(failoverOptionsSchema, base, 'f').leaseRenewMillis).toBe(5000);
    const e = error(() => parseOptions(failoverOptionsSchema, { ...base, leaseRenewMillis: 20_000 }, 'FailoverManager options'));
    expect(e.message).toContain('leaseRenewMillis: leaseRenewMillis must be smaller than leaseTtlMillis (15000) (got 20000)');
  });

  it('CrossRegionSync and WebhookNotifier: retry.maxDelayMillis defaults to at least retry.initialDelayMillis', () => {
    const sync = syncOptionsSchema.safeParse({ retry: { initialDelayMillis: 60_000 } });
    expect(sync.success ? [] : sync.error.issues.filter((i) => i.path.join('.').startsWith('retry'))).toEqual([]);
    const hook = parseOptions(webhookNotifierOptionsSchema, { webhooks: [{ url: 'http://127.0.0.1:9/hook' }], retry: { initialDelayMillis: 120_000 } }, 'w');
    expect(hook.retry.maxDelayMillis).toBe(120_000);
  });

  it('CLI config: health.timeoutMillis and failover.lease.renewMillis follow interval and TTL', () => {
    const base = { app: { name: 'shop' }, provider: { kind: 'local' }, regions: [{ id: 'a', location: { lat: 0, lon: 0 } }] };
    const c = parseOptions(configSchema, { ...base, health: { intervalMillis: 1000 }, failover: { lease: { ttlMillis: 3000 } } }, 'config');
    expect(c.health.timeoutMillis).toBe(500);
    expect(c.failover.lease.renewMillis).toBe(1000);
  });

  it('a refine on a defaulted field shows the resolved default, not "got undefined"', () => {
    const schema = {
      safeParse: (_input: unknown, params?: { reportInput?: boolean }) => ({
        success: false as const,
        error: { issues: [{ path: ['timeoutMillis'], message: 'too long', ...(params?.reportInput ? { input: 5000 } : {}) }] },
      }),
    };
    expect(error(() => parseOptions(schema, {}, 'X')).message).toContain('timeoutMillis: too long (got 5000, the default)');
  });
});
