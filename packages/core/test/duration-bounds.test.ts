// Every duration option of every package refuses values Node cannot wait for:
// a timer past 2^31-1 ms fires after 1 ms (issue 20, item 1).
import { MAX_TIMER_MILLIS, MemoryLeaseStore, MeridianError } from '@meridian/core';
import { parseOptions, type OptionsSchema } from '@meridian/core/spi';
import { createRetailPricesClient } from '@meridian/providers-azure';
import { KubernetesLeaseStore } from '@meridian/providers-k8s';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../cli/src/config/config-schema.js';
import { parseDuration } from '../../cli/src/duration.js';
import { geoRouterOptionsSchema } from '../../georouter/src/georouter-options.js';
import { connectionSchema } from '../../providers-azure/src/blob/blob-connection.js';
import { azureProviderOptionsSchema } from '../../providers-azure/src/vm/azure-provider-options.js';
import { k8sProviderOptionsSchema } from '../../providers-k8s/src/k8s-provider-options.js';
import { retrySchema } from '../../providers-k8s/src/retry-policy.js';
import { localProviderOptionsSchema } from '../../providers-local/src/local-provider-options.js';
import { localReplicaStoreOptionsSchema } from '../../providers-local/src/local-replica-store-options.js';
import { migratorOptionsSchema } from '../../session-migration/src/migrator/migrator-options.js';
import { webhookNotifierOptionsSchema } from '../src/alerts/webhook-options.js';
import { deployerOptionsSchema } from '../src/deploy/deploy-options.js';
import { failoverOptionsSchema } from '../src/failover/failover-options.js';
import { healthMonitorOptionsSchema } from '../src/health/health-options.js';
import { syncOptionsSchema } from '../src/sync/sync-options.js';
import { trafficRouterOptionsSchema } from '../src/traffic/traffic-options.js';

// Each schema with every duration path it has; other required options may be
// missing: the test looks only for the issue at the duration's path.
const SCHEMAS: Array<[string, OptionsSchema<unknown>, string[]]> = [
  ['core HealthMonitor', healthMonitorOptionsSchema, ['intervalMillis', 'timeoutMillis', 'degradedLatencyMillis', 'passive.successRate.windowMillis', 'passive.baseEjectionMillis', 'passive.maxEjectionMillis']],
  ['core FailoverManager', failoverOptionsSchema, ['failback.holdDownMillis', 'failback.maxLagMillis', 'leaseTtlMillis', 'leaseRenewMillis', 'drainMillis', 'maxSyncLagMillis', 'syncTimeoutMillis', 'verifyIntervalMillis', 'healthWaitMillis']],
  ['core CrossRegionSync', syncOptionsSchema, ['intervalMillis', 'antiEntropyIntervalMillis', 'maxClockSkewMillis', 'tombstoneTtlMillis', 'lagThresholdMillis', 'retry.initialDelayMillis', 'retry.maxDelayMillis']],
  ['core WebhookNotifier', webhookNotifierOptionsSchema, ['dedupeWindowMillis', 'timeoutMillis', 'retry.initialDelayMillis', 'retry.maxDelayMillis', 'retry.maxRetryAfterMillis', 'syncLagThresholdMillis', 'shutdownTimeoutMillis']],
  ['core MultiRegionDeployer', deployerOptionsSchema, ['regionTimeoutMillis']],
  ['core TrafficRouter', trafficRouterOptionsSchema, ['retry.perTryTimeoutMillis', 'bodyTimeoutMillis', 'connectTimeoutMillis']],
  ['georouter', geoRouterOptionsSchema, ['cache.ttlMillis', 'affinity.ttlMillis']],
  ['providers-local provider', localProviderOptionsSchema, ['startTimeoutMillis', 'stopGraceMillis']],
  ['providers-local replica store', localReplicaStoreOptionsSchema, ['timeoutMillis']],
  ['providers-azure provider', azureProviderOptionsSchema, ['pollIntervalMillis']],
  ['providers-azure blob connection', connectionSchema, ['tryTimeoutMillis']],
  ['providers-k8s provider', k8sProviderOptionsSchema, ['rolloutTimeoutMillis', 'requestTimeoutMillis', 'retry.baseDelayMillis', 'retry.maxDelayMillis', 'retry.maxRetryAfterMillis', 'watchBackoff.baseDelayMillis', 'watchBackoff.maxDelayMillis']],
  ['providers-k8s retry policy', retrySchema, ['baseDelayMillis', 'maxDelayMillis', 'maxRetryAfterMillis']],
  ['session-migration', migratorOptionsSchema, ['lockTtlMillis', 'timeoutMillis', 'retryBackoffMillis']],
  ['cli config', configSchema, ['provider.startTimeoutMillis', 'provider.stopGraceMillis', 'health.intervalMillis', 'health.timeoutMillis', 'health.degradedLatencyMillis', 'failover.failback.holdDownMillis', 'failover.failback.maxLagMillis', 'failover.lease.ttlMillis', 'failover.lease.renewMillis', 'failover.drainMillis', 'sync.intervalMillis', 'sync.timeoutMillis', 'sessions.timeoutMillis']],
];

function withValue(path: string, value: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const keys = path.split('.');
  let cur = root;
  for (const key of keys.slice(0, -1)) cur = (cur[key] = {}) as Record<string, unknown>;
  cur[keys.at(-1)!] = value;
  if (path.startsWith('provider.')) (root['provider'] as Record<string, unknown>)['kind'] = 'local';
  return root;
}

function issuesOf(run: () => unknown): Array<{ path: string; message: string; value: string }> {
  try {
    run();
  } catch (error) {
    expect(MeridianError.hasCode(error, 'INVALID_CONFIG'), String(error)).toBe(true);
    return (error as MeridianError).details['issues'] as Array<{ path: string; message: string; value: string }>;
  }
  return [];
}

describe('duration options are bounded by MAX_TIMER_MILLIS', () => {
  it('is 2^31-1', () => {
    expect(MAX_TIMER_MILLIS).toBe(2 ** 31 - 1);
  });

  for (const [name, schema, paths] of SCHEMAS) {
    describe(name, () => {
      for (const path of paths) {
        it.each([3e9, 1e12])(`${path}: %d is INVALID_CONFIG naming the path`, (value) => {
          const issues = issuesOf(() => parseOptions(schema, withValue(path, value), name));
          expect(issues).toContainEqual({ path, message: expect.stringMatching(/must be <= 2147483647 \(Node timers fire at once past 2\^31-1 ms\)/), value: String(value) });
        });
        it(`${path}: ${MAX_TIMER_MILLIS} passes the bound`, () => {
          const issues = issuesOf(() => parseOptions(schema, withValue(path, MAX_TIMER_MILLIS), name));
          expect(issues.filter((i) => i.path === path && /2147483647/.test(i.message))).toEqual([]);
        });
      }
    });
  }

  it('lease TTLs, the Kubernetes lease store and the Azure prices client timeouts', async () => {
    await expect(new MemoryLeaseStore().acquire('l', 'me', 3e9)).rejects.toThrow(/ttlMillis: must be <= 2147483647/);
    expect(() => new KubernetesLeaseStore({ requestTimeoutMillis: 3e9 } as never)).toThrow(/requestTimeoutMillis: must be <= 2147483647/);
    expect(() => createRetailPricesClient({ timeoutMillis: 3e9 })).toThrow(/timeoutMillis: must be <= 2147483647/);
  });

  it('CLI durations given as text ("1000h") are bounded too', () => {
    expect(() => parseDuration('1000h', '--duration')).toThrow(/--duration: "1000h" is longer than 2147483647 ms/);
    expect(parseDuration('596h')).toBe(596 * 3_600_000);
  });
});
