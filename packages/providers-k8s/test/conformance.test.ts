import { createKubernetesProvider } from '@meridian/providers-k8s';
import { runProviderConformance } from '@meridian/testkit';
import { regionOptions, startClusters } from './clusters.js';

const IDS = ['eu-west', 'us-east', 'ap-south'];

runProviderConformance('KubernetesProvider (three fake clusters)', async () => {
  const clusters = await startClusters(IDS);
  const provider = createKubernetesProvider({
    kubeconfig: clusters.kubeconfig,
    regions: regionOptions(IDS),
    dns: { region: 'eu-west', namespace: 'default', dnsName: 'conformance.example.com' },
    image: 'registry.example.com/conformance:1',
    retry: { baseDelayMillis: 1 },
  });
  return {
    provider,
    regionIds: IDS,
    // No pods run in a fake cluster: "answers on /health" is what the kubelet's readiness probe would report,
    // i.e. the Service exists and its Deployment is Available.
    async probe(endpoint) {
      const regionId = new URL(endpoint).hostname.split('.')[0]!;
      const server = clusters.servers[regionId];
      if (!server?.read('v1', 'Service', 'conformance', 'default')) throw new Error(`connect ECONNREFUSED ${endpoint}`);
      const deployment = server.read('apps/v1', 'Deployment', 'conformance', 'default');
      const conditions = ((deployment?.['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []);
      return conditions.some((c) => c.type === 'Available' && c.status === 'True') ? 200 : 503;
    },
    async close() {
      await provider.close();
      await clusters.close();
    },
  };
});
