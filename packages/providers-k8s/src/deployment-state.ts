import type { RegionRunState } from '@meridian/core';

/** A Deployment as read from the API (the fields this package reads). */
export interface KubeDeployment {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; generation?: number; resourceVersion?: string; uid?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

/** What a Deployment says about its region. */
export interface DeploymentView {
  state: RegionRunState;
  /** Why, in words, for `details.reason`. */
  reason: string;
}

const condition = (d: KubeDeployment, type: string) => d.status?.conditions?.find((c) => c.type === type);

/**
 * A Deployment's state: `running` when its current generation is Available
 * with ready replicas; `failed` when it lost availability after having had it
 * (or its rollout passed `progressDeadlineSeconds`); `starting` while a rollout
 * has not made it Available yet; `stopped` at 0 replicas or while deleting.
 * `wasAvailable` is whether this generation has been seen Available before:
 * the API alone cannot tell a slow rollout from a crash of a running one.
 */
export function deploymentView(d: KubeDeployment, wasAvailable: boolean): DeploymentView {
  if (d.metadata.deletionTimestamp) return { state: 'stopped', reason: 'being deleted' };
  const replicas = d.spec?.replicas ?? 1;
  const observed = (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
  const ready = d.status?.readyReplicas ?? 0;
  const available = condition(d, 'Available');
  const progressing = condition(d, 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') return { state: 'failed', reason: `rollout stuck: ${progressing.message ?? progressing.reason}` };
  if (replicas === 0) return { state: observed ? 'stopped' : 'starting', reason: 'scaled to 0 replicas' };
  if (!observed) return { state: 'starting', reason: `generation ${d.metadata.generation} not yet observed` };
  if (available?.status === 'True' && ready > 0) return { state: 'running', reason: `${ready}/${replicas} replicas ready` };
  const lost = available?.status === 'False' && (wasAvailable || progressing?.reason === 'NewReplicaSetAvailable');
  if (lost) return { state: 'failed', reason: `unavailable: ${available.reason ?? ''}${available.message ? ` (${available.message})` : ''}, ${ready}/${replicas} replicas ready` };
  return { state: 'starting', reason: `rolling out: ${ready}/${replicas} replicas ready` };
}

/** True when `d`'s current generation is Available. */
export function isAvailableNow(d: KubeDeployment): boolean {
  return (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && condition(d, 'Available')?.status === 'True';
}

/** `kubectl rollout status`'s test: every replica updated, old ones gone, the updated ones available. */
export function rolloutComplete(d: KubeDeployment): boolean {
  const wanted = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const updated = s.updatedReplicas ?? 0;
  return (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && updated >= wanted && (s.replicas ?? 0) <= updated && (s.availableReplicas ?? 0) >= updated;
}
