import type { RegionRunState, RegionStatus } from '@meridian/core';
import type { DeploymentInformer } from './deployment-informer.js';
import { deploymentView, isAvailableNow, type KubeDeployment } from './deployment-state.js';
import type { ResolvedK8sRegion } from './k8s-provider-options.js';
import type { KubeClient } from './kube-client.js';
import { endpointOf, LABEL_NAME } from './render-manifests.js';

// Worst first: the region's state is that of its worst Deployment.
const SEVERITY: RegionRunState[] = ['failed', 'starting', 'stopped', 'running', 'not-deployed'];

/** One region as the provider holds it: its config, its cluster client, its Deployment watch. */
export class RegionSlot {
  readonly id: string;
  readonly config: ResolvedK8sRegion;
  readonly namespace: string;
  readonly client: KubeClient;
  informer: DeploymentInformer | undefined;
  /** The state last reported through `region:status`. */
  lastState: RegionRunState | undefined;
  // uid:generation pairs seen Available, so a later Available=False reads as a failure, not a rollout.
  readonly #wasAvailable = new Set<string>();

  constructor(id: string, config: ResolvedK8sRegion, namespace: string, client: KubeClient) {
    this.id = id;
    this.config = config;
    this.namespace = namespace;
    this.client = client;
  }

  /** Remembers whether this generation of `d` has been Available. */
  observe(d: KubeDeployment): void {
    if (isAvailableNow(d)) this.#wasAvailable.add(`${d.metadata.uid}:${d.metadata.generation}`);
  }

  /** Whether this generation of `d` has been seen Available. */
  wasAvailable(d: KubeDeployment): boolean {
    return this.#wasAvailable.has(`${d.metadata.uid}:${d.metadata.generation}`);
  }

  /** The region's status from the watched Deployments. */
  status(port: number): RegionStatus {
    const deployments = this.informer?.list() ?? [];
    if (deployments.length === 0) return { regionId: this.id, state: 'not-deployed', details: { namespace: this.namespace } };
    const views = deployments
      .map((d) => ({ d, view: deploymentView(d, this.wasAvailable(d)) }))
      .sort((a, b) => SEVERITY.indexOf(a.view.state) - SEVERITY.indexOf(b.view.state));
    const worst = views[0]!;
    const name = worst.d.metadata.labels?.[LABEL_NAME] ?? worst.d.metadata.name;
    return {
      regionId: this.id,
      state: worst.view.state,
      endpoint: endpointOf(this.config, name, this.namespace, containerPort(worst.d) ?? port),
      details: {
        namespace: this.namespace,
        reason: worst.view.reason,
        deployments: views.map(({ d, view }) => ({
          name: d.metadata.name,
          state: view.state,
          reason: view.reason,
          generation: d.metadata.generation,
          observedGeneration: d.status?.observedGeneration,
          replicas: d.spec?.replicas ?? 1,
          readyReplicas: d.status?.readyReplicas ?? 0,
          conditions: (d.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
        })),
      },
    };
  }
}

function containerPort(d: KubeDeployment): number | undefined {
  const spec = (d as { spec?: { template?: { spec?: { containers?: Array<{ ports?: Array<{ containerPort?: number }> }> } } } }).spec;
  return spec?.template?.spec?.containers?.[0]?.ports?.[0]?.containerPort;
}
