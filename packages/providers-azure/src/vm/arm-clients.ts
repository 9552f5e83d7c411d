import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import { TrafficManagerManagementClient } from '@azure/arm-trafficmanager';
import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient, PipelineOptions, PipelinePolicy } from '@azure/core-rest-pipeline';

/** One extra pipeline policy and where it runs. */
export interface AdditionalPolicy {
  /** The policy. */
  policy: PipelinePolicy;
  /** Once per call, or on every retry. */
  position: 'perCall' | 'perRetry';
}

/**
 * What every SDK client of the provider is given: retry options (the SDK's
 * retry policy honours 429 `Retry-After`), `tlsOptions` (a CA for a private
 * endpoint), a proxy, extra policies, an HTTP client.
 */
export interface AzureClientOptions extends PipelineOptions {
  /** Extra pipeline policies. */
  additionalPolicies?: AdditionalPolicy[];
  /** HTTP client to send requests with. */
  httpClient?: HttpClient;
}

/** The four management clients the provider uses. */
export interface ArmClients {
  resources: ResourceManagementClient;
  network: NetworkManagementClient;
  compute: ComputeManagementClient;
  trafficManager: TrafficManagerManagementClient;
}

/** Creates the official SDK clients against `endpoint` (default public Azure). */
export function createArmClients(credential: TokenCredential, subscriptionId: string, endpoint: string | undefined, clientOptions: AzureClientOptions | undefined): ArmClients {
  const options = { ...clientOptions, ...(endpoint ? { endpoint } : {}) };
  return {
    resources: new ResourceManagementClient(credential, subscriptionId, options),
    network: new NetworkManagementClient(credential, subscriptionId, options),
    compute: new ComputeManagementClient(credential, subscriptionId, options),
    trafficManager: new TrafficManagerManagementClient(credential, subscriptionId, options),
  };
}
