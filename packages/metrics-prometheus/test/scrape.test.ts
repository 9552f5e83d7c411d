// The whole path as Prometheus sees it: a real HealthMonitor and FailoverManager
// over real local region processes record into prom-client; /metrics is served
// on loopback, scraped with undici and parsed; then the primary is killed.
import { createServer, type Server } from 'node:http';
import { FailoverManager, HealthMonitor, type FailoverReport } from '@meridian/core';
import { createPrometheusMetrics, type PrometheusMetrics } from '@meridian/metrics-prometheus';
import { createLocalProvider, type LocalProvider } from '@meridian/providers-local';
import { findLeakedProcesses, parsePrometheusText, sampleValue, seedRegions, waitForEvent, type PrometheusFamily } from '@meridian/testkit';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let provider: LocalProvider;
let monitor: HealthMonitor;
let manager: FailoverManager;
let metrics: PrometheusMetrics;
let server: Server;
let url: string;
const pids: number[] = [];

beforeEach(async () => {
  metrics = createPrometheusMetrics();
  provider = createLocalProvider({ regions: seedRegions(2) });
  await provider.deploy({ name: 'scrape', regions: [] });
  pids.push(...provider.pids());
  monitor = new HealthMonitor({ regions: provider.regions(), intervalMillis: 200, timeoutMillis: 100, failuresBeforeUnhealthy: 3, metrics });
  manager = new FailoverManager({ regions: provider.regions(), monitor, provider, failback: { automatic: false }, metrics });
  const healthy = Promise.all(['us-east', 'eu-west'].map((id) => waitForEvent(monitor, 'region:healthy', { filter: (e) => e.regionId === id })));
  monitor.start();
  await healthy;
  await manager.start();
  server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    metrics.metrics().then(
      (body) => res.writeHead(200, { 'content-type': metrics.contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics`;
});

afterEach(async () => {
  await manager.stop();
  await monitor.stop();
  await provider.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  expect(await findLeakedProcesses(pids)).toEqual([]);
});

async function scrape(): Promise<Map<string, PrometheusFamily>> {
  const res = await request(url, { signal: AbortSignal.timeout(5_000) });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.body.text());
}

describe('GET /metrics', () => {
  it('shows health 1 and no failover, then after a kill of the primary: health 0, one automatic failover, weights moved', async () => {
    const before = await scrape();
    expect(before.get('meridian_region_health')).toMatchObject({ type: 'gauge', help: expect.stringContaining('1 healthy, 0.5 degraded, 0 unhealthy, -1 unknown') });
    expect(sampleValue(before, 'meridian_region_health', { region: 'us-east' })).toBe(1);
    expect(sampleValue(before, 'meridian_region_health', { region: 'eu-west' })).toBe(1);
    expect(sampleValue(before, 'meridian_failovers_total', { kind: 'automatic', outcome: 'completed' })).toBe(0);
    expect(sampleValue(before, 'meridian_traffic_weight', { region: 'us-east' })).toBeGreaterThan(0);
    expect(before.get('meridian_probe_duration_seconds')?.type).toBe('histogram');
    const okProbes = sampleValue(before, 'meridian_probe_duration_seconds_count', { region: 'us-east', outcome: 'ok' })!;
    expect(okProbes).toBeGreaterThan(0);
    expect(sampleValue(before, 'meridian_probe_duration_seconds_bucket', { region: 'us-east', outcome: 'ok', le: '+Inf' })).toBe(okProbes);
    // Real probes on loopback take real time, well under a second.
    expect(sampleValue(before, 'meridian_probe_duration_seconds_sum', { region: 'us-east', outcome: 'ok' })).toBeGreaterThan(0);
    expect(sampleValue(before, 'meridian_probe_duration_seconds_bucket', { region: 'us-east', outcome: 'ok', le: '1' })).toBe(okProbes);

    const failedOver = waitForEvent(manager, 'failover:completed', { timeoutMillis: 10_000 });
    await provider.kill('us-east');
    const report: FailoverReport = await failedOver;
    expect(report).toMatchObject({ kind: 'automatic', to: 'eu-west' });

    const after = await scrape();
    expect(sampleValue(after, 'meridian_region_health', { region: 'us-east' })).toBe(0);
    expect(sampleValue(after, 'meridian_region_health', { region: 'eu-west' })).toBe(1);
    expect(sampleValue(after, 'meridian_failovers_total', { kind: 'automatic', outcome: 'completed' })).toBe(1);
    expect(sampleValue(after, 'meridian_traffic_weight', { region: 'us-east' })).toBe(0);
    expect(sampleValue(after, 'meridian_traffic_weight', { region: 'eu-west' })).toBeGreaterThan(0);
    expect(sampleValue(after, 'meridian_probe_duration_seconds_count', { region: 'us-east', outcome: 'failed' })).toBeGreaterThanOrEqual(3);
  });
});
