import { MeridianError, type DeployedRegion, type DeployOptions, type DeployProgress, type RegionRunState } from '@meridian/core';
import { throwIfAborted } from '@meridian/core/spi';
import type { DeploymentInformer } from './deployment-informer.js';
import { deploymentView, isAvailableNow, rolloutComplete, type KubeDeployment } from './deployment-state.js';
import type { RegionSlot } from './region-slot.js';
import { endpointOf, type RegionManifests } from './render-manifests.js';
import { applyObject, type ApplySettings } from './server-side-apply.js';

const STEPS = ['configmap', 'deployment', 'service'] as const;

/** What deploying one region needs from the provider. */
export interface RegionDeployContext {
  apply: ApplySettings;
  rolloutTimeoutMillis: number;
  /** The region's informer, started (resolves once it listed). */
  informer(slot: RegionSlot): Promise<DeploymentInformer>;
}

/**
 * Applies one region's objects in order, then waits for the Deployment's new
 * generation to be rolled out and Available. Never throws: a failure comes
 * back as `failed` with `<CODE>: <message>` (and a `failed` progress event).
 */
export async function deployRegion(ctx: RegionDeployContext, slot: RegionSlot, manifests: RegionManifests, options: DeployOptions): Promise<DeployedRegion> {
  const name = manifests.deployment.metadata.name;
  const port = (manifests.service['spec'] as { ports: Array<{ port: number }> }).ports[0]!.port;
  const endpoint = endpointOf(slot.config, name, slot.namespace, port);
  let step = 'configmap';
  try {
    let applied: Applied | undefined;
    for (const s of STEPS) {
      step = s;
      throwIfAborted(options.signal, 'deploy');
      progress(options, { regionId: slot.id, step, status: 'started' });
      const manifest = s === 'configmap' ? manifests.configMap : s === 'deployment' ? manifests.deployment : manifests.service;
      const stored = await applyObject(slot.client, manifest, ctx.apply, options.signal);
      if (s === 'deployment') applied = stored;
      progress(options, { regionId: slot.id, step, status: 'completed' });
    }
    step = 'rollout';
    progress(options, { regionId: slot.id, step, status: 'started' });
    const informer = await ctx.informer(slot);
    // The cluster just answered the applies: a watch waiting out a backoff can reconnect now.
    if (informer.lastError) informer.kick();
    const state = await informer.waitFor(() => rolledOut(informer.list().find((d) => d.metadata.name === name), applied!, slot), {
      signal: options.signal,
      timeoutMillis: ctx.rolloutTimeoutMillis,
      what: `the rollout of Deployment ${slot.namespace}/${name}`,
    });
    progress(options, { regionId: slot.id, step, status: 'completed', message: state });
    return { regionId: slot.id, endpoint, state };
  } catch (error) {
    const message = describe(error);
    progress(options, { regionId: slot.id, step, status: 'failed', message });
    return { regionId: slot.id, endpoint, state: 'failed', error: message };
  }
}

interface Applied {
  metadata: { generation?: number; uid?: string };
}

function progress(options: DeployOptions, p: DeployProgress): void {
  try {
    options.onProgress?.(p);
  } catch {
    // A host's progress callback must not fail the deploy.
  }
}

/** The rollout's outcome once there is one: running / stopped, a thrown failure, or undefined (still waiting). */
function rolledOut(d: KubeDeployment | undefined, applied: Applied, slot: RegionSlot): RegionRunState | undefined {
  if (!d || d.metadata.uid !== applied.metadata.uid || (d.metadata.generation ?? 0) < (applied.metadata.generation ?? 0)) return undefined;
  const view = deploymentView(d, slot.wasAvailable(d));
  if (view.state === 'failed') throw new MeridianError('PROVIDER_ERROR', `region "${slot.id}": Deployment ${slot.namespace}/${d.metadata.name} ${view.reason}`, { details: { regionId: slot.id } });
  if (view.state === 'stopped') return 'stopped';
  return rolloutComplete(d) && isAvailableNow(d) ? 'running' : undefined;
}

function describe(error: unknown): string {
  if (MeridianError.isInstance(error)) return `${error.code}: ${error.message}`;
  return `PROVIDER_ERROR: ${(error as Error)?.message ?? String(error)}`;
}
