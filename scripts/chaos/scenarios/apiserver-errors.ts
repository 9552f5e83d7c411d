import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startFakeKubeApiServer, type FakeKubeApiServer } from '@meridian/testkit';
import { check, type ChaosScenario } from '../scenario.js';

const IDS = ['us-east', 'eu-west', 'ap-south'];
const K8S = fileURLToPath(new URL('../../../packages/providers-k8s/src/index.ts', import.meta.url));
const DNS_OBJECT = 'shop-example-com';

/**
 * 12a. Every region's apiserver throttles (429 with Retry-After) or fails
 * (500, 503) while the Kubernetes provider deploys and shifts traffic: the
 * retries must carry both through, with nothing half-applied.
 */
export const apiserverErrors: ChaosScenario = {
  id: 'apiserver-errors',
  title: 'apiserver 500/503/429 during deploy and traffic shift',
  expected: 'retried (Retry-After honoured); every region deployed, DNS weights applied',
  deadlineMillis: 30_000,
  notRunReason: () => (existsSync(K8S) ? undefined : 'not run: needs @meridian/providers-k8s'),
  run: async (ctx) => {
    const { createKubernetesProvider, FENCING_ANNOTATION } = await import('@meridian/providers-k8s');
    const servers: Record<string, FakeKubeApiServer> = {};
    ctx.defer(() => Promise.all(Object.values(servers).map((s) => s.close())));
    for (const id of IDS) servers[id] = await startFakeKubeApiServer({ name: id, deploymentReadyDelayMillis: 20 });
    const { dnsEndpointCrd } = await import('@meridian/testkit');
    servers['eu-west']!.seed(dnsEndpointCrd());
    const provider = createKubernetesProvider({
      regions: Object.fromEntries(IDS.map((id, i) => [id, { location: { lat: i * 10, lon: i * 10 }, endpoint: `https://${id}.shop.example.com`, kubeconfig: servers[id]!.kubeconfig() }])),
      dns: { region: 'eu-west', namespace: 'default', dnsName: 'shop.example.com', ttl: 30 },
      image: 'shop:1',
      retry: { maxAttempts: 5, baseDelayMillis: 50 },
    });
    ctx.defer(() => provider.close());

    servers['us-east']!.failNext(2, { status: 500, verbs: ['patch'], resources: ['deployments'] });
    servers['eu-west']!.failNext(1, { status: 429, retryAfterSeconds: 1, verbs: ['patch'], resources: ['configmaps'] });
    servers['ap-south']!.failNext(2, { status: 503, verbs: ['patch'] });
    const started = performance.now();
    const { regions } = await provider.deploy({ name: 'shop', regions: IDS }, { signal: ctx.signal });
    const deployMillis = Math.round(performance.now() - started);
    ctx.log(`deploy: ${regions.map((r) => `${r.regionId}=${r.state}${r.error ? ` (${r.error})` : ''}`).join(', ')} in ${deployMillis} ms`);
    check(deployMillis >= 1_000, `the 429's Retry-After (1 s) was not honoured: deploy took ${deployMillis} ms`);
    const statuses = IDS.flatMap((id) => servers[id]!.requests().filter((r) => r.status >= 429).map((r) => r.status));
    check(statuses.length === 5, `expected 5 injected failures served, saw ${statuses.join(',')}`);

    servers['eu-west']!.failNext(1, { status: 429, retryAfterSeconds: 1, resources: ['dnsendpoints'] });
    servers['eu-west']!.failNext(1, { status: 500, resources: ['dnsendpoints'] });
    await provider.setTraffic({ 'us-east': 0, 'eu-west': 100, 'ap-south': 0 }, { fencingToken: 2 });
    const served = IDS.flatMap((id) => servers[id]!.requests().filter((r) => r.status >= 429)).length;
    check(served === 7, `expected 7 injected failures served in all, saw ${served}`);

    let lost = 0;
    for (const r of regions) if (r.state !== 'running') lost++;
    for (const id of IDS) if (!servers[id]!.read('apps/v1', 'Deployment', 'shop', 'default')) lost++;
    const dns = servers['eu-west']!.read('externaldns.k8s.io/v1alpha1', 'DNSEndpoint', DNS_OBJECT, 'default');
    const records = (dns?.['spec'] as { endpoints?: Array<{ setIdentifier: string }> } | undefined)?.endpoints ?? [];
    if (records.map((e) => e.setIdentifier).join() !== 'eu-west' || dns?.metadata.annotations?.[FENCING_ANNOTATION] !== '2') lost++;
    ctx.log(`DNS records: ${records.map((e) => e.setIdentifier).join(', ')}, fencing ${dns?.metadata.annotations?.[FENCING_ANNOTATION]}`);
    return { reactionSeen: true, reaction: `7 apiserver errors retried; 3/3 deployed, weights applied`, timeToReactMillis: deployMillis, lost, checked: IDS.length * 2 + 1, clients: { notApplicable: 'no regions: fake kube-apiservers only' } };
  },
};
