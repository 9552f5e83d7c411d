import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLocalProvider, type LocalProvider } from '@meridian/providers-local';
import { createNetnsLab, seedRegions, startNodeInNamespace, type NetnsHost } from '@meridian/testkit';
import type { ScenarioContext } from './scenario.js';

const WORKER = fileURLToPath(new URL('../../packages/providers-local/worker/region-worker.mjs', import.meta.url));
const NETNS_PORT = 8080;

/** Region processes a scenario runs, wherever they live. */
export interface RegionSet {
  /** Region ids, in failover priority order. */
  readonly ids: string[];
  /** The local provider: runs the processes (loopback mode) and is the traffic layer (its front-door weights) in both modes. */
  readonly provider: LocalProvider;
  /** Where each region answers. */
  endpoint(regionId: string): string;
  /** Namespace hosts by region id (netns mode only): partition and loss happen there. */
  readonly hosts?: Record<string, NetnsHost>;
}

/**
 * Starts `count` seed regions as real processes: on loopback through the local
 * provider, or (`netns`, root only) each in its own network namespace so a
 * partition is a real packet drop. Tracked for the leak check, stopped by the
 * runner's clean-up.
 */
export async function startRegions(ctx: ScenarioContext, options: { count?: number; netns?: boolean; dataDir?: string } = {}): Promise<RegionSet> {
  const seeds = seedRegions(options.count ?? 3);
  const ids = seeds.map((r) => r.id);
  // With a data directory the regions keep their sessions on disk: a killed region comes back holding (suspended) copies.
  const provider = createLocalProvider({ regions: seeds, ...(options.dataDir ? { dataDir: options.dataDir } : {}) });
  ctx.defer(() => provider.stop());
  if (!options.netns) {
    provider.on('process:ready', (e) => ctx.trackPids([e.pid]));
    const result = await provider.deploy({ name: 'chaos', regions: [] }, { signal: ctx.signal });
    ctx.trackPids(provider.pids());
    const failed = result.regions.filter((r) => r.state !== 'running');
    if (failed.length > 0) throw new Error(`regions did not start: ${failed.map((r) => `${r.regionId} (${r.error})`).join(', ')}`);
    const endpoints = new Map(provider.regions().map((r) => [r.id, r.endpoint]));
    return { ids, provider, endpoint: (id) => endpoints.get(id)! };
  }
  const lab = createNetnsLab();
  ctx.defer(() => lab.close());
  const hosts: Record<string, NetnsHost> = {};
  for (const id of ids) {
    const host = lab.addHost(id);
    hosts[id] = host;
    const child = await startInNamespace(host, id);
    if (child.pid) ctx.trackPids([child.pid]);
  }
  return { ids, provider, hosts, endpoint: (id) => `http://${hosts[id]!.ip}:${NETNS_PORT}` };
}

/** Starts the region server inside a namespace and waits for its `ready`. */
function startInNamespace(host: NetnsHost, regionId: string): Promise<ChildProcess> {
  return startNodeInNamespace(host, WORKER, { MERIDIAN_REGION_ID: regionId, MERIDIAN_HOST: host.ip, MERIDIAN_PORT: String(NETNS_PORT) });
}
