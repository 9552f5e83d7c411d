import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ControlPlane } from './control-plane.js';

const STATES = ['unknown', 'healthy', 'degraded', 'unhealthy'] as const;

/**
 * The agent's Prometheus metrics, in a registry of its own (no global state).
 * Event-driven counters are fed as events happen; gauges and the sync totals
 * are read from the engines' status at scrape time.
 */
export function createMetrics(plane: ControlPlane): Registry {
  const registry = new Registry();
  const registers = [registry];
  const regionIds = (): string[] => plane.provider.regions().map((r) => r.id);

  new Gauge({
    name: 'meridian_region_health',
    help: 'Health state of each region: 1 for its current state, 0 for the others.',
    labelNames: ['region', 'state'],
    registers,
    collect() {
      this.reset();
      for (const h of plane.monitor.snapshot()) for (const state of STATES) this.set({ region: h.regionId, state }, h.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'meridian_region_traffic_weight',
    help: 'Traffic weight the front door applies to each region (0 = no traffic).',
    labelNames: ['region'],
    registers,
    collect() {
      this.reset();
      for (const [region, weight] of Object.entries(plane.provider.traffic())) this.set({ region }, weight);
    },
  });
  const probe = new Histogram({
    name: 'meridian_probe_latency_seconds',
    help: 'Latency of active health probes, successful or not.',
    labelNames: ['region', 'outcome'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  plane.monitor.on('health:probe', (p) => probe.observe({ region: p.regionId, outcome: p.ok ? 'ok' : 'failed' }, p.latencyMillis / 1000));

  const failovers = new Counter({ name: 'meridian_failovers_total', help: 'Failovers, failbacks and drills by kind and outcome.', labelNames: ['kind', 'outcome'], registers });
  plane.failover.on('failover:completed', (r) => failovers.inc({ kind: r.kind, outcome: 'completed' }));
  plane.failover.on('failover:failed', (r) => failovers.inc({ kind: r.kind, outcome: r.outcome }));
  // Series that exist from the start, so a rate() over them works before the first event.
  failovers.inc({ kind: 'automatic', outcome: 'completed' }, 0);
  failovers.inc({ kind: 'planned', outcome: 'completed' }, 0);

  const deploys = new Counter({ name: 'meridian_deploys_total', help: 'Deployments by outcome.', labelNames: ['outcome'], registers });
  plane.deployments.onReport((r) => deploys.inc({ outcome: r.outcome }));
  if (plane.deployments.last) deploys.inc({ outcome: plane.deployments.last.outcome }); // the deploy at start

  if (plane.sync) {
    const sync = plane.sync;
    new Gauge({
      name: 'meridian_sync_lag_seconds',
      help: 'How far behind each region is on replicated data (the worst incoming pair).',
      labelNames: ['region'],
      registers,
      collect() {
        this.reset();
        for (const r of sync.status().regions) this.set({ region: r.regionId }, r.lagMillis / 1000);
      },
    });
    new Counter({
      name: 'meridian_sync_bytes_total',
      help: 'Encoded replication bytes sent, per direction.',
      labelNames: ['from', 'to'],
      registers,
      collect() {
        this.reset();
        for (const p of sync.status().pairs) this.inc({ from: p.from, to: p.to }, p.bytesSent);
      },
    });
    new Counter({
      name: 'meridian_sync_conflicts_total',
      help: 'Distinct write conflicts detected since the agent started.',
      registers,
      collect() {
        this.reset();
        this.inc(sync.status().conflicts);
      },
    });
  }

  new Gauge({
    name: 'meridian_sessions',
    help: 'Registered sessions per region.',
    labelNames: ['region'],
    registers,
    collect() {
      this.reset();
      const byRegion = plane.migrator.statistics().byRegion;
      for (const region of regionIds()) this.set({ region }, byRegion[region] ?? 0);
    },
  });
  const migrations = new Counter({ name: 'meridian_migrations_total', help: 'Session migrations by outcome (failed ones were rolled back).', labelNames: ['outcome'], registers });
  migrations.inc({ outcome: 'completed' }, 0);
  migrations.inc({ outcome: 'failed' }, 0);
  plane.migrator.on('session:migrated', () => migrations.inc({ outcome: 'completed' }));
  plane.migrator.on('session:migration-failed', () => migrations.inc({ outcome: 'failed' }));
  return registry;
}
