import type { RegionSlot } from './region-slot.js';
import { regionSelector } from './render-manifests.js';

const KINDS = [
  { root: '/api/v1', plural: 'services', resource: 'services', kind: 'Service' },
  { root: '/apis/apps/v1', plural: 'deployments', resource: 'deployments.apps', kind: 'Deployment' },
  { root: '/api/v1', plural: 'configmaps', resource: 'configmaps', kind: 'ConfigMap' },
] as const;

/**
 * Deletes the Services, Deployments and ConfigMaps labelled for Meridian and
 * this region (a list and a delete per object, which RBAC grants more often
 * than deletecollection), then waits for the watch to see the Deployments go,
 * so `status` says `not-deployed` at once.
 */
export async function destroyRegion(slot: RegionSlot, signal: AbortSignal | undefined, waitMillis: number): Promise<void> {
  const selector = regionSelector(slot.id);
  for (const k of KINDS) {
    const base = `${k.root}/namespaces/${slot.namespace}/${k.plural}`;
    const common = { resource: k.resource, namespace: slot.namespace, signal };
    const list = await slot.client.request<{ items?: Array<{ metadata: { name: string } }> }>({ ...common, method: 'GET', path: base, query: { labelSelector: selector }, what: `list ${k.kind}s to delete`, verb: 'list' });
    for (const item of list.body.items ?? []) {
      await slot.client.request({
        ...common,
        method: 'DELETE',
        path: `${base}/${item.metadata.name}`,
        query: { propagationPolicy: 'Background' },
        what: `delete ${k.kind} ${slot.namespace}/${item.metadata.name}`,
        verb: 'delete',
        expect: [404],
      });
    }
  }
  const informer = slot.informer;
  if (informer?.synced) {
    await informer.waitFor(() => (informer.list().length === 0 ? true : undefined), { signal, timeoutMillis: waitMillis, what: 'the deletion of the Deployments' });
  }
}
