// Public API of @meridian/providers-k8s. Explicit exports only: anything not listed is internal.
export { createKubernetesProvider, KubernetesProvider } from './kubernetes-provider.js';
export type { KubernetesProviderEvents, RegionStatusEvent, WatchConnectedEvent, WatchErrorEvent } from './provider-events.js';
export type { KubernetesDnsOptions, KubernetesProviderOptions, KubernetesRegionOptions, WatchBackoffOptions } from './k8s-provider-options.js';
export type { KubeRetryOptions } from './retry-policy.js';
export type { KubeManifest, KubeManifestMetadata, KubernetesWorkload, RegionManifests } from './render-manifests.js';
export { LABEL_MANAGED_BY, LABEL_NAME, LABEL_REGION } from './render-manifests.js';
export type { DnsEndpointRecord, ProviderSpecificProperty } from './dns-endpoints.js';
export { FENCING_ANNOTATION } from './dns-endpoints.js';
export { KubernetesLeaseStore, TOKEN_ANNOTATION, TTL_ANNOTATION } from './kubernetes-lease-store.js';
export type { KubernetesLeaseStoreOptions } from './kubernetes-lease-store.js';
export { createReadinessProber } from './readiness-prober.js';
