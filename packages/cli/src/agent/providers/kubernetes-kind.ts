import { createKubernetesProvider, createReadinessProber, KubernetesLeaseStore, type KubernetesProvider } from '@meridian/providers-k8s';
import type { MeridianConfig } from '../../config/config-schema.js';
import type { LoadedConfig } from '../../config/load-config.js';
import type { KubernetesProviderConfig } from '../../config/provider-schemas.js';
import { providerConfigError } from './config-error.js';
import { configRelativePath } from './config-path.js';
import { DeployedRegions } from './deployed-regions.js';
import { declaredPrices, homeRegion, type PlaneProvider, type ProviderKind } from './provider-kind.js';

// The provider's option paths (`regions.eu-west.context`, `dns.region`, `kubeconfig`) sit under `provider` in the file.
const toConfigPath = (path: string): PropertyKey[] => ['provider', ...path.split('.')];

/**
 * `provider.kind: kubernetes`: one cluster (kubeconfig context) per region
 * (KubernetesProvider: server-side apply, Deployment watch), health from the
 * Deployment's readiness, traffic as external-dns DNSEndpoint weights in the
 * DNS region's cluster, the failover lease a Kubernetes Lease. No session
 * adapter and no replica store: the cluster runs the app, Meridian cannot
 * reach into it.
 */
export function kubernetesKind(loaded: LoadedConfig, o: KubernetesProviderConfig): ProviderKind {
  const config: MeridianConfig = loaded.config;
  const kubeconfig = o.kubeconfig ? configRelativePath(loaded, o.kubeconfig) : undefined;
  const home = homeRegion(config);
  const dnsRegion = o.dns.region ?? home;
  const leaseRegion = o.lease.region ?? dnsRegion;
  const namespaceOf = (id: string): string => o.regions[id]?.namespace ?? o.namespace;
  let k8s: KubernetesProvider;
  let leaseStore: KubernetesLeaseStore;
  try {
    k8s = createKubernetesProvider({
      ...(kubeconfig ? { kubeconfig } : {}),
      regions: Object.fromEntries(
        config.regions.map((r) => {
          const own = o.regions[r.id] ?? {};
          return [
            r.id,
            {
              ...(own.context ? { context: own.context } : {}),
              namespace: namespaceOf(r.id),
              location: r.location,
              replicas: r.replicas,
              ...(r.timezone ? { timezone: r.timezone } : {}),
              ...(r.locale ? { locale: r.locale } : {}),
              ...(r.price ? { currency: r.price.currency } : {}),
              ...(own.endpoint ? { endpoint: own.endpoint } : {}),
              ...(own.dnsTarget ? { dnsTarget: own.dnsTarget } : {}),
            },
          ];
        }),
      ),
      dns: {
        region: dnsRegion,
        namespace: o.dns.namespace ?? namespaceOf(dnsRegion),
        dnsName: o.dns.dnsName,
        recordType: o.dns.recordType,
        ttl: o.dns.ttl,
        weightProperty: o.dns.weightProperty,
      },
      image: o.image,
      port: o.port,
      serviceType: o.serviceType,
      rolloutTimeoutMillis: o.rolloutTimeoutMillis,
    });
  } catch (error) {
    providerConfigError(error, loaded, 'KUBECONFIG_INVALID', toConfigPath);
  }
  try {
    // The Lease lives in one cluster (the DNS region's by default): every agent on this config competes for it there.
    leaseStore = new KubernetesLeaseStore({
      ...(kubeconfig ? { kubeconfig } : {}),
      context: o.regions[leaseRegion]?.context ?? leaseRegion,
      namespace: o.lease.namespace ?? namespaceOf(leaseRegion),
    });
  } catch (error) {
    void k8s.close();
    providerConfigError(error, loaded, 'KUBECONFIG_INVALID', (path) => (path === 'context' ? ['provider', 'regions', leaseRegion, 'context'] : ['provider', 'lease', ...path.split('.')]));
  }
  const deployed = new DeployedRegions(config);
  const provider: PlaneProvider = {
    name: k8s.name,
    regionIds: () => k8s.regionIds(),
    traffic: () => k8s.traffic(),
    // A cluster has no price API: the prices are the ones the config declares.
    prices: async () => declaredPrices(config),
    deploy: (spec, options) => k8s.deploy(spec, options),
    destroy: (ids, options) => k8s.destroy(ids, options),
    status: (id, options) => k8s.status(id, options),
    setTraffic: (weights, options) => k8s.setTraffic(weights, options),
  };
  return {
    kind: 'kubernetes',
    provider,
    leaseStore,
    prober: createReadinessProber(k8s),
    sessions: undefined,
    priceSource: 'declared in the config (regions[].price: a Kubernetes cluster has no price API)',
    frontDoorUrl: () => undefined,
    frontDoorStats: () => undefined,
    regions: () => deployed.regions(),
    noteDeployed: (report) => deployed.note(report),
    // Contexts were checked when the provider was built (before anything was created).
    preflight: async () => undefined,
    started: async () => undefined,
    replicaStores: () => undefined,
    async destroy(regionIds, all, signal) {
      await k8s.destroy(regionIds, { signal });
      deployed.remove(regionIds);
      if (all) await k8s.removeTraffic({ signal });
    },
    async close() {
      await leaseStore.close();
      await k8s.close();
    },
  };
}
