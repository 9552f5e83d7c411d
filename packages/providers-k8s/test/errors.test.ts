import { ManualClock, MeridianError } from '@meridian/core';
import { createKubernetesProvider, type KubernetesProvider } from '@meridian/providers-k8s';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, regionOptions, startClusters, type Clusters } from './clusters.js';

const IDS = ['eu-west', 'us-east', 'ap-south'];
const patches = (clusters: Clusters, id: string, resource: string) =>
  clusters.servers[id]!.requests()
    .filter((r) => r.verb === 'patch' && r.path.includes(`/${resource}/`))
    .map((r) => r.status);

describe('KubernetesProvider retries on virtual time', () => {
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
      random: () => 1,
      requestTimeoutMillis: 600_000,
      retry: { maxAttempts: 4, baseDelayMillis: 100 },
    });
  });
  afterEach(async () => {
    await provider.close();
    await clusters.close();
  });

  /** Waits (real time) until a retry sleep is pending, and returns how long it is. */
  const pendingSleep = async (): Promise<number> => {
    await eventually(() => clock.nextDue() !== undefined && clock.nextDue()! - clock.now() < 100_000);
    return clock.nextDue()! - clock.now();
  };

  it('retries 429 after its Retry-After and 500 with exponential backoff, then succeeds', async () => {
    const server = clusters.servers['eu-west']!;
    server.failNext(1, { status: 429, retryAfterSeconds: 2, verbs: ['patch'], resources: ['configmaps'] });
    server.failNext(2, { status: 500, verbs: ['patch'], resources: ['deployments'] });
    const deploying = provider.deploy({ name: 'shop', regions: ['eu-west'] });
    expect(await pendingSleep()).toBe(2000);
    await clock.advanceAsync(1999);
    expect(patches(clusters, 'eu-west', 'configmaps')).toEqual([429]);
    await clock.advanceAsync(1);
    // Backoff doubles: 100 ms, then 200 ms (random() = 1: the top of the jitter range).
    expect(await pendingSleep()).toBe(100);
    expect(patches(clusters, 'eu-west', 'configmaps')).toEqual([429, 201]);
    await clock.advanceAsync(100);
    expect(await pendingSleep()).toBe(200);
    await clock.advanceAsync(200);
    const result = await deploying;
    expect(result.regions[0]).toMatchObject({ state: 'running' });
    expect(patches(clusters, 'eu-west', 'deployments')).toEqual([500, 500, 201]);
  });

  it('gives up after maxAttempts with a coded error naming the region and the status', async () => {
    const server = clusters.servers['eu-west']!;
    server.failNext(10, { status: 500, verbs: ['patch'], resources: ['services'] });
    const deploying = provider.deploy({ name: 'shop', regions: ['eu-west'] });
    for (let i = 0; i < 3; i++) await clock.advanceAsync(await pendingSleep());
    const { regions } = await deploying;
    expect(regions[0]!.state).toBe('failed');
    expect(regions[0]!.error).toMatch(/^PROVIDER_ERROR: region "eu-west": the apiserver answered 500 InternalError \(4 attempts\), could not apply Service default\/shop: Internal error occurred: injected fault/);
    expect(patches(clusters, 'eu-west', 'services')).toEqual([500, 500, 500, 500]);
  });
});

describe('KubernetesProvider bad input and bad clusters: a coded error per region, the others deployed', () => {
  let clusters: Clusters;
  beforeEach(async () => {
    clusters = await startClusters(IDS);
  });
  afterEach(async () => {
    await clusters.close();
  });

  const make = (overrides: Partial<Parameters<typeof createKubernetesProvider>[0]> = {}, kubeconfig = clusters.kubeconfig) =>
    createKubernetesProvider({ kubeconfig, regions: regionOptions(IDS), image: 'shop:1', retry: { maxAttempts: 2, baseDelayMillis: 1 }, ...overrides });
  const check = async (provider: KubernetesProvider, failing: string, pattern: RegExp) => {
    const { regions } = await provider.deploy({ name: 'shop', regions: IDS });
    for (const r of regions) {
      if (r.regionId === failing) expect(r.error, r.regionId).toMatch(pattern);
      else expect(r, r.regionId).toMatchObject({ state: 'running' });
    }
    expect(regions.find((r) => r.regionId === failing)!.state).toBe('failed');
    await provider.close();
  };

  it('an unreachable cluster: REGION_UNAVAILABLE for that region only', async () => {
    await clusters.servers['us-east']!.stop();
    const progress: string[] = [];
    const provider = make();
    const { regions } = await provider.deploy({ name: 'shop', regions: IDS }, { onProgress: (p) => p.status === 'failed' && progress.push(`${p.regionId}:${p.step}`) });
    expect(regions.map((r) => r.state)).toEqual(['running', 'failed', 'running']);
    expect(regions[1]!.error).toMatch(/^REGION_UNAVAILABLE: region "us-east": cluster https:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\) after 2 attempts; could not apply ConfigMap default\/shop-region$/);
    expect(progress).toEqual(['us-east:configmap']);
    await provider.close();
  });

  it('401 (a revoked token): "unauthorized (token expired or invalid)", and the token is never printed', async () => {
    const token = 'revoked-token-0123456789abcdef';
    const server = clusters.servers['ap-south']!;
    server.addToken(token, { user: 'ci' });
    const regions = { ...regionOptions(IDS), 'ap-south': { ...regionOptions(['ap-south'])['ap-south']!, kubeconfig: server.kubeconfig({ token }) } };
    server.revokeToken(token);
    const provider = make({ regions });
    const { regions: result } = await provider.deploy({ name: 'shop', regions: IDS });
    expect(result.map((r) => r.state)).toEqual(['running', 'running', 'failed']);
    expect(result[2]!.error).toMatch(/^PROVIDER_ERROR: region "ap-south": unauthorized \(token expired or invalid\) at https:\/\/127\.0\.0\.1:\d+; could not apply ConfigMap default\/shop-region$/);
    expect(result[2]!.error).not.toContain(token);
    const status = await provider.status('ap-south').catch((e: unknown) => e as MeridianError);
    expect(MeridianError.hasCode(status, 'PROVIDER_ERROR') && /unauthorized/.test(status.message) && !status.message.includes(token)).toBe(true);
    await provider.close();
  });

  it('403 (RBAC): names the verb and resource that were denied', async () => {
    const server = clusters.servers['eu-west']!;
    server.addToken('no-deployments', {
      user: 'deployer',
      rules: [
        { verbs: ['*'], apiGroups: [''], resources: ['configmaps', 'services'] },
        { verbs: ['get', 'list', 'watch'], apiGroups: ['apps'], resources: ['deployments'] },
      ],
    });
    const regions = { ...regionOptions(IDS), 'eu-west': { ...regionOptions(['eu-west'])['eu-west']!, kubeconfig: server.kubeconfig({ token: 'no-deployments' }) } };
    await check(make({ regions }), 'eu-west', /^PROVIDER_ERROR: region "eu-west": RBAC denied "patch" on deployments\.apps in namespace "default"; could not apply Deployment default\/shop: .*User "deployer" cannot patch resource "deployments" in API group "apps"/);
  });

  it('409: a field owned by another manager names that manager; forceConflicts takes it over', async () => {
    const provider = make();
    const rendered = provider.render({ name: 'shop', regions: ['us-east'] })['us-east']!.deployment;
    clusters.servers['us-east']!.seed({ ...rendered, metadata: { ...rendered.metadata }, spec: { ...(rendered['spec'] as object), replicas: 5 } });
    await check(provider, 'us-east', /^PROVIDER_ERROR: region "us-east": server-side apply conflict, could not apply Deployment default\/shop: \.spec\.replicas is owned by field manager "testkit"; set forceConflicts: true to take it over$/);
    const forced = make({ forceConflicts: true });
    const { regions } = await forced.deploy({ name: 'shop', regions: ['us-east'] });
    expect(regions[0]!.state).toBe('running');
    expect((clusters.servers['us-east']!.read('apps/v1', 'Deployment', 'shop', 'default')!['spec'] as { replicas: number }).replicas).toBe(1);
    await forced.close();
  });

  it('422: names the invalid field from the Status causes', async () => {
    const provider = make();
    const { regions } = await provider.deploy({ name: 'shop', regions: ['eu-west', 'us-east'], workload: { image: ' ' } });
    for (const r of regions) {
      expect(r.state).toBe('failed');
      expect(r.error).toMatch(new RegExp(`^INVALID_CONFIG: region "${r.regionId}": the apiserver refused to apply Deployment default/shop as invalid: spec\\.template\\.spec\\.containers\\[0\\]\\.image: Required value$`));
    }
    await provider.close();
  });

  it('a namespace that does not exist is named', async () => {
    const regions = { ...regionOptions(IDS), 'eu-west': { ...regionOptions(['eu-west'])['eu-west']!, namespace: 'shop' } };
    await check(make({ regions }), 'eu-west', /^PROVIDER_ERROR: region "eu-west": not found, could not apply ConfigMap shop\/shop-region: namespaces "shop" not found$/);
  });

  it('a rollout that never becomes Available times out with TIMEOUT naming the region', async () => {
    clusters.servers['ap-south']!.setDeploymentReadyDelay(60_000);
    await check(make({ rolloutTimeoutMillis: 300 }), 'ap-south', /^TIMEOUT: region "ap-south": the rollout of Deployment default\/shop did not happen within 300 ms$/);
  });

  it('an aborted deploy stops and rejects with ABORTED', async () => {
    for (const s of Object.values(clusters.servers)) s.setDeploymentReadyDelay(60_000);
    const provider = make();
    const controller = new AbortController();
    const deploying = provider.deploy({ name: 'shop', regions: IDS }, { signal: controller.signal, onProgress: (p) => p.step === 'rollout' && p.status === 'started' && controller.abort(new Error('operator')) });
    await expect(deploying).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'ABORTED'));
    await provider.close();
  });
});
