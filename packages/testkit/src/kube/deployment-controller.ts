import { createHash } from 'node:crypto';
import type { TimerHandle } from '@meridian/core';
import type { ApiContext } from './api-context.js';
import { controllerWrite } from './cluster-lifecycle.js';
import { isRecord, type KubeObject } from './kube-object.js';
import type { StoreEvent } from './object-store.js';

/** How a Deployment is made to fail (see `failDeployment`). */
export interface DeploymentFailure {
  /** Reason of the `Available=False` condition; default `MinimumReplicasUnavailable`. */
  reason?: string;
  /** Message of the `Available=False` condition; default `Deployment does not have minimum availability.`. */
  message?: string;
  /** Also set `Progressing=False` with reason `ProgressDeadlineExceeded`, as after `progressDeadlineSeconds`. */
  progressDeadlineExceeded?: boolean;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (isRecord(v) ? v : {});
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
const KEY = 'deployments.apps';
const MANAGER = 'kube-controller-manager';

/** The pod-template-hash a ReplicaSet name ends with (safe-encoded, like the real one). */
function templateHash(deployment: KubeObject): string {
  const digest = createHash('sha256').update(JSON.stringify(rec(deployment['spec'])['template'] ?? {})).digest();
  return [...digest.subarray(0, 10)].map((b) => SAFE[b % SAFE.length]).join('');
}

/** `spec.strategy.rollingUpdate.maxUnavailable` as a count (percentages round down, like the real controller). */
function maxUnavailable(d: KubeObject, replicas: number): number {
  const strategy = rec(rec(d['spec'])['strategy']);
  if (strategy['type'] === 'Recreate') return 0;
  const value = rec(strategy['rollingUpdate'])['maxUnavailable'] ?? '25%';
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(String(value));
  return percent ? Math.floor((replicas * Number(percent[1])) / 100) : 0;
}

/**
 * Stands in for kube-controller-manager (and the kubelets) for Deployments:
 * a new generation is observed at once (Progressing, not yet Available), and
 * after `readyDelayMillis` every replica is ready (`Available=True`). A
 * Deployment marked failed stays `Available=False` with no ready replicas
 * until it is recovered. Pods and ReplicaSets are not created.
 */
export class DeploymentController {
  private readonly failed = new Map<string, DeploymentFailure>();
  private readonly timers = new Map<string, TimerHandle>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ctx: ApiContext,
    public readyDelayMillis: number,
  ) {}

  start(): void {
    this.unsubscribe ??= this.ctx.store.subscribe((event) => this.onEvent(event));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }

  fail(namespace: string, name: string, failure: DeploymentFailure): void {
    this.failed.set(`${namespace}/${name}`, failure);
    this.observe(namespace, name);
  }

  recover(namespace: string, name: string): void {
    this.failed.delete(`${namespace}/${name}`);
    this.observe(namespace, name);
  }

  private onEvent(event: StoreEvent): void {
    if (event.key !== KEY) return;
    const id = `${event.namespace}/${event.object.metadata.name}`;
    if (event.type === 'DELETED') {
      this.timers.get(id)?.cancel();
      this.timers.delete(id);
      this.failed.delete(id);
      return;
    }
    const status = rec(event.object['status']);
    const waitingForReady =
      this.timers.has(id) && status['observedGeneration'] === event.object.metadata.generation && (status['replicas'] ?? 0) === Number(rec(event.object['spec'])['replicas'] ?? 1);
    if (!waitingForReady && !this.settled(event.object)) this.observe(event.namespace, event.object.metadata.name);
  }

  /** True when the status already says what this controller would write. */
  private settled(d: KubeObject): boolean {
    const status = rec(d['status']);
    const replicas = Number(rec(d['spec'])['replicas'] ?? 1);
    const available = (status['conditions'] as Rec[] | undefined)?.find((c) => c['type'] === 'Available')?.['status'];
    const failed = this.failed.has(`${d.metadata.namespace}/${d.metadata.name}`);
    return (
      status['observedGeneration'] === d.metadata.generation &&
      (status['replicas'] ?? 0) === replicas &&
      (failed ? available === 'False' && !status['readyReplicas'] : available === 'True' && (status['readyReplicas'] ?? 0) === replicas)
    );
  }

  /** Writes the observed (not yet ready, or failed) status now and schedules readiness. */
  private observe(namespace: string, name: string): void {
    const id = `${namespace}/${name}`;
    this.ctx.schedule(0, () => {
      const failure = this.failed.get(id);
      this.writeStatus(namespace, name, failure ? 'failed' : 'progressing', failure);
      this.timers.get(id)?.cancel();
      this.timers.delete(id);
      if (failure) return;
      const timer = this.ctx.clock.setTimeout(() => {
        this.timers.delete(id);
        try {
          if (!this.failed.has(id)) this.writeStatus(namespace, name, 'ready', undefined);
        } catch (error) {
          this.ctx.onError(error);
        }
      }, this.readyDelayMillis);
      this.timers.set(id, timer);
    });
  }

  private writeStatus(namespace: string, name: string, phase: 'progressing' | 'ready' | 'failed', failure: DeploymentFailure | undefined): void {
    const deployments = this.ctx.registry.find('apps', 'v1', 'deployments')!;
    controllerWrite(this.ctx, deployments, namespace, name, MANAGER, 'status', (d) => {
      const replicas = Number(rec(d['spec'])['replicas'] ?? 1);
      const previous = rec(d['status']);
      const previousReady = Math.min(Number(previous['readyReplicas'] ?? 0), replicas);
      const ready = phase === 'ready' ? replicas : phase === 'failed' ? 0 : previousReady;
      const rsName = `${name}-${templateHash(d)}`;
      const now = this.ctx.now();
      const oldConditions = (previous['conditions'] as Rec[] | undefined) ?? [];
      const condition = (type: string, status: string, reason: string, message: string): Rec => {
        const old = oldConditions.find((c) => c['type'] === type);
        const transitioned = !old || old['status'] !== status;
        const same = old && !transitioned && old['reason'] === reason && old['message'] === message;
        return { type, status, lastUpdateTime: same ? old['lastUpdateTime'] : now, lastTransitionTime: transitioned ? now : old['lastTransitionTime'], reason, message };
      };
      const availableNow = phase === 'ready' || (phase === 'progressing' && ready >= replicas - maxUnavailable(d, replicas));
      const available = availableNow
        ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
        : condition('Available', 'False', failure?.reason ?? 'MinimumReplicasUnavailable', failure?.message ?? 'Deployment does not have minimum availability.');
      const progressing =
        phase === 'ready'
          ? condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`)
          : failure?.progressDeadlineExceeded
            ? condition('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`)
            : condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`);
      const status: Rec = { observedGeneration: d.metadata.generation, replicas, updatedReplicas: replicas, readyReplicas: ready, availableReplicas: ready, unavailableReplicas: replicas - ready, conditions: [available, progressing] };
      // Zero counts are omitted, as Go's omitempty does.
      for (const k of Object.keys(status)) if (status[k] === 0) delete status[k];
      d['status'] = status;
    });
  }
}
