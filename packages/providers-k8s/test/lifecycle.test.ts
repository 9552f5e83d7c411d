// One lifecycle: KubernetesProvider and KubernetesLeaseStore end with close()
// (idempotent, awaitable) or `await using`.
import { ManualClock, MeridianError } from '@meridian/core';
import { createKubernetesProvider, KubernetesLeaseStore, type KubernetesProvider } from '@meridian/providers-k8s';
import { startFakeKubeApiServer } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';
import { regionOptions, startClusters } from './clusters.js';

const shutDown = (e: unknown): boolean => MeridianError.hasCode(e, 'SHUT_DOWN');

describe('KubernetesProvider lifecycle', () => {
  it('close() is idempotent and awaitable; await using ends it', async () => {
    const clusters = await startClusters(['eu-west']);
    try {
      const provider = createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: regionOptions(['eu-west']), image: 'shop:1' });
      await Promise.all([provider.close(), provider.close()]);
      await expect(provider.status('eu-west')).rejects.toSatisfy(shutDown);
      let kept: KubernetesProvider;
      {
        await using p = createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: regionOptions(['eu-west']), image: 'shop:1' });
        kept = p;
      }
      await expect(kept.status('eu-west')).rejects.toSatisfy(shutDown);
    } finally {
      await clusters.close();
    }
  });
});

describe('KubernetesLeaseStore lifecycle', () => {
  it('close() returns a promise, is idempotent, and await using ends it', async () => {
    const server = await startFakeKubeApiServer({ name: 'leases' });
    try {
      const clock = new ManualClock(Date.now());
      const store = new KubernetesLeaseStore({ kubeconfig: server.kubeconfig(), clock });
      await store.acquire('a', 'me', 1_000);
      await Promise.all([store.close(), store.close()]);
      {
        await using other = new KubernetesLeaseStore({ kubeconfig: server.kubeconfig(), clock });
        expect(await other.current('a')).toMatchObject({ holder: 'me' });
      }
    } finally {
      await server.close();
    }
  });
});
