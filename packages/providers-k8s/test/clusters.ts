// Fake clusters for the provider tests: one fake kube-apiserver per region, and
// one kubeconfig with a context per region (named like the region).
import { KubeConfig } from '@kubernetes/client-node';
import { dnsEndpointCrd, startFakeKubeApiServer, type FakeKubeApiServer, type FakeKubeApiServerOptions } from '@meridian/testkit';

export const REGIONS = {
  'eu-west': { location: { lat: 53.3, lon: -6.3 }, timezone: 'Europe/Dublin', locale: 'en-IE', currency: 'EUR' },
  'us-east': { location: { lat: 37.5, lon: -77.5 }, timezone: 'America/New_York', locale: 'en-US', currency: 'USD' },
  'ap-south': { location: { lat: 19.1, lon: 72.9 }, timezone: 'Asia/Kolkata', locale: 'hi-IN', currency: 'INR' },
} as const;

export type RegionId = keyof typeof REGIONS;

export interface Clusters {
  servers: Record<string, FakeKubeApiServer>;
  /** One kubeconfig (YAML text) with a context per cluster. */
  kubeconfig: string;
  close(): Promise<void>;
}

/** Starts a fake cluster per id; the first one also serves external-dns's DNSEndpoint CRD. */
export async function startClusters(ids: string[], options: FakeKubeApiServerOptions = {}): Promise<Clusters> {
  const servers: Record<string, FakeKubeApiServer> = {};
  try {
    for (const id of ids) servers[id] = await startFakeKubeApiServer({ deploymentReadyDelayMillis: 20, ...options, name: id });
  } catch (error) {
    await Promise.all(Object.values(servers).map((s) => s.close()));
    throw error;
  }
  servers[ids[0]!]!.seed(dnsEndpointCrd());
  const merged = new KubeConfig();
  for (const [i, server] of Object.values(servers).entries()) {
    const kc = new KubeConfig();
    kc.loadFromString(server.kubeconfig());
    if (i === 0) merged.loadFromString(server.kubeconfig());
    else merged.mergeConfig(kc);
  }
  return {
    servers,
    kubeconfig: merged.exportConfig(),
    close: async () => {
      await Promise.all(Object.values(servers).map((s) => s.close()));
    },
  };
}

/** Region options for `ids`, each with a public endpoint (so DNS has a target). */
export function regionOptions(ids: string[]): Record<string, (typeof REGIONS)[RegionId] & { endpoint: string }> {
  return Object.fromEntries(ids.map((id) => [id, { ...REGIONS[id as RegionId], endpoint: `https://${id}.shop.example.com` }]));
}

/** Resolves when `check` returns true, polling on real time; fails after `timeoutMillis`. */
export async function eventually(check: () => boolean, timeoutMillis = 5000): Promise<void> {
  const until = Date.now() + timeoutMillis;
  while (!check()) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMillis} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
