import { ManualClock, MeridianError } from '@meridian/core';
import { createKubernetesProvider, type KubernetesProvider } from '@meridian/providers-k8s';
import { waitForEvent } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, regionOptions, startClusters, type Clusters } from './clusters.js';

const IDS = ['eu-west', 'us-east', 'ap-south'];
const verbs = (clusters: Clusters, id: string, verb: string) => clusters.servers[id]!.requests().filter((r) => r.verb === verb && r.path.includes('/deployments'));

describe('KubernetesProvider status through the Deployment watch', () => {
  let clusters: Clusters;
  let provider: KubernetesProvider;
  beforeEach(async () => {
    clusters = await startClusters(IDS);
    provider = createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: regionOptions(IDS), image: 'shop:1', retry: { baseDelayMillis: 1 } });
  });
  afterEach(async () => {
    await provider.close();
    await clusters.close();
  });

  it('reports not-deployed, then running from the Deployment conditions and ready replicas', async () => {
    expect(await provider.status('eu-west')).toMatchObject({ regionId: 'eu-west', state: 'not-deployed' });
    await provider.deploy({ name: 'shop', regions: ['eu-west'], overrides: { 'eu-west': { replicas: 2 } } });
    expect(await provider.status('eu-west')).toMatchObject({
      state: 'running',
      endpoint: 'https://eu-west.shop.example.com',
      details: { reason: '2/2 replicas ready', deployments: [{ name: 'shop', readyReplicas: 2, conditions: expect.arrayContaining([expect.objectContaining({ type: 'Available', status: 'True' })]) }] },
    });
    await expect(provider.status('mars')).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'REGION_NOT_FOUND'));
  });

  it('sees a failing Deployment on the next watch event, without polling, and its recovery', async () => {
    await provider.deploy({ name: 'shop', regions: IDS });
    const server = clusters.servers['us-east']!;
    const lists = verbs(clusters, 'us-east', 'list').length;
    const gets = server.requests().filter((r) => r.verb === 'get').length;
    const failed = waitForEvent(provider, 'region:status', { filter: (e) => e.regionId === 'us-east' && e.status.state === 'failed' });
    server.failDeployment('default', 'shop', { message: 'Back-off pulling image "shop:1"' });
    const event = await failed;
    expect(event.previous).toBe('running');
    expect(event.status.details?.['reason']).toMatch(/unavailable: MinimumReplicasUnavailable \(Back-off pulling image "shop:1"\), 0\/1 replicas ready/);
    // It came through the open watch: no new list, no get.
    expect(verbs(clusters, 'us-east', 'list').length).toBe(lists);
    expect(server.requests().filter((r) => r.verb === 'get').length).toBe(gets);
    expect((await provider.status('us-east')).state).toBe('failed');
    expect((await provider.status('eu-west')).state).toBe('running');
    const recovered = waitForEvent(provider, 'region:status', { filter: (e) => e.regionId === 'us-east' && e.status.state === 'running' });
    server.recoverDeployment('default', 'shop');
    expect((await recovered).previous).toBe('failed');
  });

  it('resumes a dropped watch from its resourceVersion and still sees the next change', async () => {
    await provider.deploy({ name: 'shop', regions: ['eu-west'] });
    const server = clusters.servers['eu-west']!;
    const reconnected = waitForEvent(provider, 'watch:connected', { filter: (e) => e.regionId === 'eu-west' });
    expect(server.dropWatches()).toBe(1);
    expect((await reconnected).resourceVersion).toMatch(/^\d+$/);
    const failed = waitForEvent(provider, 'region:status', { filter: (e) => e.regionId === 'eu-west' && e.status.state === 'failed' });
    server.failDeployment('default', 'shop');
    await failed;
    // One list in all: the reconnect resumed with the resourceVersion it had.
    expect(verbs(clusters, 'eu-west', 'list')).toHaveLength(1);
  });

  it('re-lists after 410 Gone when the history it would resume from was compacted meanwhile', async () => {
    await provider.close();
    provider = createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: regionOptions(IDS), image: 'shop:1', retry: { maxAttempts: 1 }, watchBackoff: { baseDelayMillis: 20, maxDelayMillis: 50 } });
    await provider.deploy({ name: 'shop', regions: ['eu-west'] });
    const server = clusters.servers['eu-west']!;
    const down = waitForEvent(provider, 'watch:error');
    await server.stop();
    await down;
    // While the watch is down the Deployment fails and the history it would resume from is compacted away.
    server.failDeployment('default', 'shop');
    await eventually(() => (server.read('apps/v1', 'Deployment', 'shop', 'default')!['status'] as { readyReplicas?: number }).readyReplicas === undefined);
    server.compactHistory();
    const failed = waitForEvent(provider, 'region:status', { filter: (e) => e.regionId === 'eu-west' && e.status.state === 'failed' });
    await server.start();
    await failed;
    const paths = server.requests().map((r) => `${r.verb}:${r.status}:${/resourceVersion=(\d+)/.exec(r.path)?.[1] ?? ''}`);
    // The resumed watch got 410 (as an ERROR event in a 200 stream), then a fresh list and a watch from its version.
    expect(paths.filter((p) => p.startsWith('list:200'))).toHaveLength(2);
  });
});

describe('KubernetesProvider watch reconnect on virtual time', () => {
  let clusters: Clusters;
  let provider: KubernetesProvider;
  let clock: ManualClock;
  beforeEach(async () => {
    clusters = await startClusters(['eu-west']);
    clock = new ManualClock(Date.now());
    provider = createKubernetesProvider({
      kubeconfig: clusters.kubeconfig,
      regions: regionOptions(['eu-west']),
      image: 'shop:1',
      clock,
      requestTimeoutMillis: 600_000,
      retry: { maxAttempts: 1 },
      watchBackoff: { baseDelayMillis: 1000, maxDelayMillis: 8000 },
    });
  });
  afterEach(async () => {
    await provider.close();
    await clusters.close();
  });

  it('reports an unreachable cluster as REGION_UNAVAILABLE and reconnects with backoff once it is back', async () => {
    await provider.deploy({ name: 'shop', regions: ['eu-west'] });
    const server = clusters.servers['eu-west']!;
    const errors: MeridianError[] = [];
    provider.on('watch:error', (e) => errors.push(e.error));
    await server.stop();
    await eventually(() => errors.length === 1);
    expect(errors[0]!.code).toBe('REGION_UNAVAILABLE');
    expect(errors[0]!.message).toMatch(/region "eu-west": cluster https:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\)/);
    // Each failed reconnect waits twice as long, on the injected clock.
    const first = clock.nextDue()! - clock.now();
    await clock.advanceAsync(first);
    await eventually(() => errors.length === 2);
    expect(clock.nextDue()! - clock.now()).toBe(first * 2);
    // status() says so at once (and tries to reconnect right away, which fails too).
    const third = waitForEvent(provider, 'watch:error');
    await expect(provider.status('eu-west')).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'REGION_UNAVAILABLE') && /region "eu-west"/.test((e as Error).message));
    await third;
    await server.start();
    const reconnected = waitForEvent(provider, 'watch:connected');
    await clock.advanceAsync(clock.nextDue()! - clock.now());
    await reconnected;
    expect((await provider.status('eu-west')).state).toBe('running');
  });
});

