import { ManualClock, MeridianError, type Lease } from '@meridian/core';
import { KubernetesLeaseStore, TOKEN_ANNOTATION } from '@meridian/providers-k8s';
import { runLeaseStoreConformance, startFakeKubeApiServer, type FakeKubeApiServer } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

runLeaseStoreConformance('KubernetesLeaseStore (fake kube-apiserver)', async () => {
  const server = await startFakeKubeApiServer({ name: 'leases' });
  const clock = new ManualClock(Date.now());
  const store = new KubernetesLeaseStore({ kubeconfig: server.kubeconfig(), clock });
  return {
    store,
    advance: async (millis) => clock.advance(millis),
    close: async () => {
      await store.close();
      await server.close();
    },
  };
});

describe('KubernetesLeaseStore on one cluster', () => {
  let server: FakeKubeApiServer;
  let clock: ManualClock;
  const stores: KubernetesLeaseStore[] = [];
  const newStore = () => {
    const store = new KubernetesLeaseStore({ kubeconfig: server.kubeconfig(), clock, namespace: 'kube-node-lease' });
    stores.push(store);
    return store;
  };
  beforeEach(async () => {
    server = await startFakeKubeApiServer({ name: 'leases', latencyMillis: 2 });
    clock = new ManualClock(Date.now());
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await server.close();
  });

  it('writes a real coordination.k8s.io/v1 Lease: holder, duration, renew time, transitions, and the fencing token', async () => {
    const a = newStore();
    const b = newStore();
    const first = (await a.acquire('meridian-failover', 'agent-a', 15_000))!;
    let lease = server.read('coordination.k8s.io/v1', 'Lease', 'meridian-failover', 'kube-node-lease')!;
    expect(lease['spec']).toMatchObject({ holderIdentity: 'agent-a', leaseDurationSeconds: 15, leaseTransitions: 0, renewTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/) });
    expect(lease.metadata.annotations).toMatchObject({ [TOKEN_ANNOTATION]: String(first.token) });
    clock.advance(15_001);
    const second = (await b.acquire('meridian-failover', 'agent-b', 15_000))!;
    lease = server.read('coordination.k8s.io/v1', 'Lease', 'meridian-failover', 'kube-node-lease')!;
    expect(lease['spec']).toMatchObject({ holderIdentity: 'agent-b', leaseTransitions: 1 });
    expect(second.token).toBe(first.token + 1);
    await expect(a.renew(first, 15_000)).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'LEASE_LOST') && /now held by "agent-b"/.test((e as Error).message));
  });

  it('two managers racing for a free lease never both hold it', async () => {
    const a = newStore();
    const b = newStore();
    const tokens: number[] = [];
    for (let round = 0; round < 25; round++) {
      const [la, lb] = await Promise.all([a.acquire('race', 'a', 10_000), b.acquire('race', 'b', 10_000)]);
      const winners = [la, lb].filter((l): l is Lease => l !== undefined);
      expect(winners, `round ${round}`).toHaveLength(1);
      expect((await a.current('race'))!.holder).toBe(winners[0]!.holder);
      tokens.push(winners[0]!.token);
      // Half the rounds end with a release, half with an expiry: both free the lease.
      if (round % 2 === 0) await (winners[0]!.holder === 'a' ? a : b).release(winners[0]!);
      else clock.advance(10_001);
    }
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBe(tokens[i - 1]! + 1);
  });

  it('five managers racing to take over an expired lease: one wins, the token grows by one', async () => {
    const holders = Array.from({ length: 5 }, () => newStore());
    const first = (await holders[0]!.acquire('takeover', 'h0', 1000))!;
    clock.advance(1001);
    const results = await Promise.all(holders.map((s, i) => s.acquire('takeover', `h${i + 1}`, 1000)));
    const winners = results.filter((l): l is Lease => l !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.token).toBe(first.token + 1);
  });

  it('an unreachable cluster is STORE_UNAVAILABLE', async () => {
    const a = new KubernetesLeaseStore({ kubeconfig: server.kubeconfig(), retry: { maxAttempts: 2, baseDelayMillis: 1 } });
    stores.push(a);
    await server.stop();
    await expect(a.acquire('x', 'a', 1000)).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'STORE_UNAVAILABLE') && /lease store \(context "leases"\): cluster https:\/\/127\.0\.0\.1:\d+ is unreachable/.test((e as Error).message));
  });

  it('refuses names that are not Kubernetes object names', async () => {
    await expect(newStore().acquire('Has Spaces', 'a', 1000)).rejects.toThrow(/name: must be a Kubernetes object name/);
  });
});
