import { MeridianError } from '@meridian/core';
import { createKubernetesProvider, type KubernetesProvider } from '@meridian/providers-k8s';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { regionOptions, startClusters, type Clusters } from './clusters.js';

const IDS = ['eu-west', 'us-east', 'ap-south'];

describe('KubernetesProvider deploy against three fake clusters', () => {
  let clusters: Clusters;
  let provider: KubernetesProvider;
  beforeEach(async () => {
    clusters = await startClusters(IDS);
    provider = createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: regionOptions(IDS), image: 'registry.example.com/shop:1.0.0', retry: { baseDelayMillis: 1 } });
  });
  afterEach(async () => {
    await provider.close();
    await clusters.close();
  });

  it('applies ConfigMap, Deployment and Service to every cluster in parallel, with progress per step, and waits for Available', async () => {
    const progress: string[] = [];
    const result = await provider.deploy(
      { name: 'shop', regions: IDS, env: { FEATURE: 'on' }, overrides: { 'us-east': { replicas: 3, env: { FEATURE: 'off' } } } },
      { onProgress: (p) => progress.push(`${p.regionId}:${p.step}:${p.status}`) },
    );
    expect(result.regions.map((r) => [r.regionId, r.state, r.endpoint])).toEqual(IDS.map((id) => [id, 'running', `https://${id}.shop.example.com`]));
    for (const id of IDS) {
      expect(progress.filter((p) => p.startsWith(`${id}:`))).toEqual(
        ['configmap', 'deployment', 'service', 'rollout'].flatMap((step) => [`${id}:${step}:started`, `${id}:${step}:completed`]),
      );
      const server = clusters.servers[id]!;
      const labels = { 'meridian.dev/region': id, 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/managed-by': 'meridian' };
      const cm = server.read('v1', 'ConfigMap', 'shop-region', 'default')!;
      expect(cm.metadata.labels).toEqual(labels);
      const deployment = server.read('apps/v1', 'Deployment', 'shop', 'default')!;
      expect(deployment.metadata.labels).toEqual(labels);
      expect(deployment.metadata.managedFields?.map((f) => f.manager)).toContain('meridian');
      const spec = deployment['spec'] as { replicas: number; template: { metadata: { labels: Record<string, string> }; spec: { containers: Array<Record<string, unknown>> } } };
      expect(spec.replicas).toBe(id === 'us-east' ? 3 : 1);
      expect(spec.template.metadata.labels).toEqual(labels);
      const container = spec.template.spec.containers[0]!;
      expect(container['image']).toBe('registry.example.com/shop:1.0.0');
      expect(container['env']).toEqual([{ name: 'REGION', value: id }]);
      expect(container['envFrom']).toEqual([{ configMapRef: { name: 'shop-region' } }]);
      expect(container['readinessProbe']).toMatchObject({ httpGet: { path: '/health', port: 'http' } });
      expect(server.read('v1', 'Service', 'shop', 'default')!.metadata.labels).toEqual(labels);
      expect(server.requests().some((r) => r.verb === 'patch' && r.path.includes('fieldManager=meridian'))).toBe(true);
    }
    expect(clusters.servers['eu-west']!.read('v1', 'ConfigMap', 'shop-region', 'default')!['data']).toEqual({
      REGION: 'eu-west',
      TZ: 'Europe/Dublin',
      LOCALE: 'en-IE',
      CURRENCY: 'EUR',
      FEATURE: 'on',
    });
    expect(clusters.servers['us-east']!.read('v1', 'ConfigMap', 'shop-region', 'default')!['data']).toMatchObject({ REGION: 'us-east', CURRENCY: 'USD', FEATURE: 'off' });
    expect(await provider.status('us-east')).toMatchObject({ state: 'running', details: { deployments: [{ name: 'shop', replicas: 3, readyReplicas: 3 }] } });
  });

  it('deploys the clusters at the same time, not one after another', async () => {
    for (const server of Object.values(clusters.servers)) server.latencyMillis = 40;
    const started = performance.now();
    await provider.deploy({ name: 'shop', regions: IDS });
    const parallel = performance.now() - started;
    // Each region needs 3 applies + a list + a watch at 40 ms each: about 200 ms; serially it would be 600+.
    expect(parallel).toBeLessThan(3 * 5 * 40);
  });

  it('applying the same spec again changes nothing and a changed env rolls the pods (new config hash)', async () => {
    await provider.deploy({ name: 'shop', regions: ['eu-west'] });
    const server = clusters.servers['eu-west']!;
    const first = server.read('apps/v1', 'Deployment', 'shop', 'default')!;
    await provider.deploy({ name: 'shop', regions: ['eu-west'] });
    expect(server.read('apps/v1', 'Deployment', 'shop', 'default')!.metadata.generation).toBe(first.metadata.generation);
    await provider.deploy({ name: 'shop', regions: ['eu-west'], env: { FEATURE: 'x' } });
    expect(server.read('apps/v1', 'Deployment', 'shop', 'default')!.metadata.generation).toBe(first.metadata.generation! + 1);
  });

  it('render() shows the objects without contacting a cluster', () => {
    const before = clusters.servers['eu-west']!.requests().length;
    const rendered = provider.render({ name: 'shop', regions: ['eu-west'], workload: { image: 'x/y:2', port: 9000 } });
    expect(rendered['eu-west']!.deployment).toMatchObject({ kind: 'Deployment', metadata: { name: 'shop', namespace: 'default' } });
    expect(rendered['eu-west']!.service['spec']).toMatchObject({ ports: [{ port: 9000, targetPort: 'http' }] });
    expect(clusters.servers['eu-west']!.requests().length).toBe(before);
  });

  it('refuses bad specs with INVALID_CONFIG naming the field, and unknown regions with REGION_NOT_FOUND', async () => {
    await expect(provider.deploy({ name: 'Shop_1', regions: IDS })).rejects.toThrow(/name: must be a DNS-1035 label/);
    await expect(provider.deploy({ name: 'shop', regions: ['eu-west'], env: { 'bad key': 'x' } })).rejects.toThrow(/env\.bad key/);
    await expect(provider.deploy({ name: 'shop', regions: ['eu-west'], workload: { port: 0 } })).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'INVALID_CONFIG') && /port/.test((e as Error).message));
    await expect(provider.deploy({ name: 'shop', regions: ['mars'] })).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'REGION_NOT_FOUND') && /mars/.test((e as Error).message));
    const noImage = createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: regionOptions(['eu-west']) });
    await expect(noImage.deploy({ name: 'shop', regions: ['eu-west'] })).rejects.toThrow(/workload\.image/);
    await noImage.close();
  });

  it('destroy removes what deploy created, in the given regions only', async () => {
    await provider.deploy({ name: 'shop', regions: IDS });
    await provider.destroy(['eu-west']);
    expect(clusters.servers['eu-west']!.read('apps/v1', 'Deployment', 'shop', 'default')).toBeUndefined();
    expect(clusters.servers['eu-west']!.read('v1', 'Service', 'shop', 'default')).toBeUndefined();
    expect(clusters.servers['eu-west']!.read('v1', 'ConfigMap', 'shop-region', 'default')).toBeUndefined();
    expect((await provider.status('eu-west')).state).toBe('not-deployed');
    expect((await provider.status('us-east')).state).toBe('running');
  });
});

describe('KubernetesProvider options', () => {
  let clusters: Clusters;
  beforeEach(async () => {
    clusters = await startClusters(['eu-west', 'us-east']);
  });
  afterEach(async () => {
    await clusters.close();
  });

  it('an unknown context is INVALID_CONFIG naming the region and the contexts available', () => {
    const make = () => createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: { 'eu-west': { context: 'prod-eu', location: { lat: 0, lon: 0 } } } });
    expect(make).toThrow(/regions\.eu-west\.context: region "eu-west": no kubeconfig context "prod-eu" \(contexts available: eu-west, us-east\)/);
    expect(() => createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: { 'ap-south': { location: { lat: 0, lon: 0 } } } })).toThrow(/no kubeconfig context "ap-south"/);
  });

  it('takes a kubeconfig per region (path or text) and validates options with paths', async () => {
    const provider = createKubernetesProvider({
      regions: { 'eu-west': { kubeconfig: clusters.servers['eu-west']!.kubeconfig(), namespace: 'default', location: { lat: 0, lon: 0 } } },
      image: 'x',
    });
    expect(provider.regionIds()).toEqual(['eu-west']);
    await provider.close();
    expect(() => createKubernetesProvider({ regions: { 'eu-west': { kubeconfig: '/no/such/file', location: { lat: 0, lon: 0 } } } })).toThrow(/regions\.eu-west\.kubeconfig: cannot read the file "\/no\/such\/file" \(ENOENT\)/);
    expect(() => createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: { 'eu-west': { location: { lat: 100, lon: 0 } } } })).toThrow(/regions\.eu-west\.location\.lat/);
    expect(() => createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: {} })).toThrow(/at least one region/);
    expect(() =>
      createKubernetesProvider({ kubeconfig: clusters.kubeconfig, regions: { 'eu-west': { location: { lat: 0, lon: 0 } } }, dns: { region: 'eu-west', namespace: 'default', dnsName: 'shop.example.com' } }),
    ).toThrow(/regions\.eu-west\.dnsTarget: setTraffic needs a DNS target/);
  });

  it('refuses a cluster that skips TLS verification', () => {
    const insecure = clusters.servers['eu-west']!.kubeconfig().replace(/certificate-authority-data: .*/, 'insecure-skip-tls-verify: true');
    expect(() => createKubernetesProvider({ kubeconfig: insecure, regions: { 'eu-west': { location: { lat: 0, lon: 0 } } } })).toThrow(/must be https with TLS verification/);
  });

  it('never puts the token in an error', () => {
    const server = clusters.servers['eu-west']!;
    try {
      createKubernetesProvider({ kubeconfig: `${server.kubeconfig()}\n  bad: [`, regions: { 'eu-west': { location: { lat: 0, lon: 0 } } } });
      expect.unreachable();
    } catch (error) {
      expect(MeridianError.hasCode(error, 'INVALID_CONFIG')).toBe(true);
      expect(String((error as Error).message)).not.toContain(server.token);
    }
  });
});
