// Real partitions and packet loss: region processes in their own network
// namespaces, faults made with nftables inside them (this kernel has no netem).
// Needs root; CI runs as root, so there they run. Elsewhere they are skipped
// with the reason printed.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CrossRegionSync, HealthMonitor, type RegionInput } from '@meridian/core';
import { createLocalReplicaStore } from '@meridian/providers-local';
import { collectEvents, createNetnsLab, netnsSupport, scanAll, skipUnless, startNodeInNamespace, waitForEvent, type NetnsHost, type NetnsLab } from '@meridian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const WORKER = fileURLToPath(new URL('../../providers-local/worker/region-worker.mjs', import.meta.url));
const PORT = 8080;

let lab: NetnsLab;
const hosts: Record<string, NetnsHost> = {};

/** Starts a region server inside a namespace and waits for its IPC `ready`. */
function startRegion(host: NetnsHost, regionId: string): Promise<ChildProcess> {
  return startNodeInNamespace(host, WORKER, { MERIDIAN_REGION_ID: regionId, MERIDIAN_HOST: host.ip, MERIDIAN_PORT: String(PORT) });
}

describe('partitions and packet loss in network namespaces', skipUnless(netnsSupport()), () => {
  beforeAll(async () => {
    lab = createNetnsLab();
    for (const id of ['us-east', 'eu-west']) {
      hosts[id] = lab.addHost(id);
      await startRegion(hosts[id]!, id);
    }
  });
  afterAll(() => lab?.close());

  const regions = (): RegionInput[] =>
    Object.entries(hosts).map(([id, host], i) => ({ id, location: { lat: i * 10, lon: i * 10 }, endpoint: `http://${host.ip}:${PORT}` }));

  it('a partitioned region goes unhealthy, the other stays healthy; healing brings it back', async () => {
    const monitor = new HealthMonitor({ regions: regions(), intervalMillis: 300, timeoutMillis: 250, failuresBeforeUnhealthy: 3, successesBeforeHealthy: 2, jitterFraction: 0 });
    try {
      const healthy = Promise.all(['us-east', 'eu-west'].map((id) => waitForEvent(monitor, 'region:healthy', { filter: (e) => e.regionId === id, timeoutMillis: 10_000 })));
      monitor.start();
      await healthy;
      const unhealthy = collectEvents(monitor, 'region:unhealthy').events;
      const down = waitForEvent(monitor, 'region:unhealthy', { filter: (e) => e.regionId === 'eu-west', timeoutMillis: 10_000 });
      hosts['eu-west']!.partition();
      expect((await down).reason).toMatch(/3 consecutive failed probes/);
      const back = waitForEvent(monitor, 'region:healthy', { filter: (e) => e.regionId === 'eu-west', timeoutMillis: 15_000 });
      hosts['eu-west']!.heal();
      await back;
      expect(unhealthy.map((e) => e.regionId)).toEqual(['eu-west']);
    } finally {
      hosts['eu-west']!.heal();
      await monitor.stop();
    }
  });

  it('30 % packet loss on a live region causes no unhealthy verdict (3 samples per probe)', async () => {
    const monitor = new HealthMonitor({ regions: regions(), intervalMillis: 700, timeoutMillis: 600, failuresBeforeUnhealthy: 3, successesBeforeHealthy: 2, samplesPerProbe: 3, jitterFraction: 0 });
    try {
      const ready = waitForEvent(monitor, 'region:healthy', { filter: (e) => e.regionId === 'us-east', timeoutMillis: 10_000 });
      monitor.start();
      await ready;
      const unhealthy = collectEvents(monitor, 'region:unhealthy').events;
      const probes = collectEvents(monitor, 'health:probe').events;
      hosts['us-east']!.loss(30);
      // Bounded: wait for 15 probes of the lossy region, however long loss makes them.
      for (let i = 0; i < 600 && probes.filter((p) => p.regionId === 'us-east').length < 15; i++) await new Promise((r) => setTimeout(r, 50));
      expect(probes.filter((p) => p.regionId === 'us-east').length).toBeGreaterThanOrEqual(15);
      const lossy = probes.filter((p) => p.regionId === 'us-east');
      console.log(`[netns-partitions] 30% loss: ${lossy.filter((p) => !p.ok).length} of ${lossy.length} probes failed, latencies ${lossy.map((p) => p.latencyMillis).join(' ')}`);
      expect(unhealthy).toEqual([]);
    } finally {
      hosts['us-east']!.heal();
      await monitor.stop();
    }
  });

  it('sync across a real partition: lag while cut, convergence after, nothing acknowledged lost', async () => {
    const stores = Object.values(hosts).map((h) => createLocalReplicaStore({ endpoint: `http://${h.ip}:${PORT}`, timeoutMillis: 300 }));
    const ids = Object.keys(hosts);
    const sync = new CrossRegionSync({ regions: ids.map((id, i) => ({ id, store: stores[i]! })), retry: { initialDelayMillis: 20, maxDelayMillis: 100, jitterFraction: 0 } });
    const acked = new Map<string, unknown>();
    try {
      for (let i = 0; i < 10; i++) {
        await sync.write(ids[i % 2]!, `before:${i}`, i);
        acked.set(`before:${i}`, i);
      }
      await sync.syncNow();
      hosts['eu-west']!.partition();
      for (let i = 0; i < 10; i++) {
        await sync.write('us-east', `during:${i}`, i);
        acked.set(`during:${i}`, i);
      }
      await sync.syncNow();
      expect(sync.status().regions.find((r) => r.regionId === 'eu-west')).toMatchObject({ reachable: false });
      hosts['eu-west']!.heal();
      for (let i = 0; i < 40; i++) {
        await new Promise((r) => setTimeout(r, 110));
        const report = await sync.syncNow();
        if (report.pairs.length === 2 && report.pairs.every((p) => p.ok && p.records === 0 && !p.catchUp)) break;
      }
      for (const store of stores) {
        expect(Object.fromEntries((await scanAll(store)).map((r) => [r.key, r.value]))).toEqual(Object.fromEntries(acked));
      }
    } finally {
      hosts['eu-west']!.heal();
      await sync.shutdown();
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
