import { MemoryLeaseStore, MeridianError } from '@meridian/core';
import { createLocalProvider, createLocalReplicaStore, createLocalSessionAdapter } from '@meridian/providers-local';
import { request } from 'undici';
import type { MeridianConfig } from '../../config/config-schema.js';
import type { ProviderKind } from './provider-kind.js';

type LocalConfig = Extract<MeridianConfig['provider'], { kind: 'local' }>;

/**
 * `provider.kind: local`: regions as processes on loopback with a front door,
 * a memory lease (one agent per machine and directory: the agent file keeps a
 * second one out), sessions and replica stores served by the region processes.
 * With `dataDir` (absolute) the regions keep their sessions in files there.
 */
export function localKind(config: MeridianConfig, options: LocalConfig, dataDir: string | undefined): ProviderKind {
  const provider = createLocalProvider({
    regions: config.regions.map((r, index) => ({
      id: r.id,
      location: r.location,
      weight: r.weight,
      priority: r.priority ?? index,
      ...(r.name ? { name: r.name } : {}),
      ...(r.residency ? { residency: r.residency } : {}),
      ...(r.price ? { price: r.price } : {}),
    })),
    startTimeoutMillis: options.startTimeoutMillis,
    stopGraceMillis: options.stopGraceMillis,
    ...(dataDir === undefined ? {} : { dataDir }),
  });
  return {
    kind: 'local',
    provider,
    leaseStore: new MemoryLeaseStore(),
    prober: undefined,
    priceSource: 'declared in the config (the local provider has no price API)',
    sessions: {
      adapter: createLocalSessionAdapter(provider),
      async create(regionId, sessionId, state) {
        const endpoint = provider.regions().find((r) => r.id === regionId)?.endpoint;
        if (!endpoint) throw new MeridianError('REGION_UNAVAILABLE', `region "${regionId}" is not deployed`);
        const res = await request(`${endpoint}/sessions/${encodeURIComponent(sessionId)}`, {
          method: 'PUT',
          body: JSON.stringify(state ?? {}),
          headers: { 'content-type': 'application/json' },
          signal: AbortSignal.timeout(5_000),
        });
        await res.body.dump();
        if (res.statusCode >= 300) throw new MeridianError('REGION_UNAVAILABLE', `region "${regionId}" answered ${res.statusCode} when creating session "${sessionId}"`);
      },
    },
    frontDoorUrl: () => provider.frontDoor?.url,
    frontDoorStats: () => provider.frontDoor?.stats(),
    regions: () => provider.regions(),
    // The provider itself knows which of its processes run.
    noteDeployed: () => undefined,
    preflight: async () => undefined,
    async started() {
      await provider.startFrontDoor({ port: options.frontDoorPort });
    },
    replicaStores: (regionIds, timeoutMillis) => regionIds.map((id) => createLocalReplicaStore(provider, id, { timeoutMillis })),
    destroy: (regionIds) => provider.destroy(regionIds),
    close: () => provider.close(),
  };
}
