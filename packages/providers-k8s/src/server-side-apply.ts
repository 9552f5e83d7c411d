import type { KubeClient } from './kube-client.js';
import { objectPath, resourceOf, type KubeManifest } from './render-manifests.js';

/** How objects are applied. */
export interface ApplySettings {
  /** Field manager that owns what Meridian writes. */
  fieldManager: string;
  /** Take over fields owned by other managers. */
  force: boolean;
}

/**
 * Server-side apply (`application/apply-patch+yaml`; JSON is YAML): creates
 * or updates `manifest`, owning exactly the fields it sets under
 * `fieldManager`. Returns the object as stored.
 */
export async function applyObject<T = KubeManifest & { metadata: { generation?: number; uid?: string; resourceVersion?: string } }>(
  client: KubeClient,
  manifest: KubeManifest,
  settings: ApplySettings,
  signal: AbortSignal | undefined,
): Promise<T> {
  const { namespace, name } = manifest.metadata;
  const res = await client.request<T>({
    method: 'PATCH',
    path: objectPath(manifest),
    query: { fieldManager: settings.fieldManager, ...(settings.force ? { force: 'true' } : {}) },
    body: manifest,
    contentType: 'application/apply-patch+yaml',
    what: `apply ${manifest.kind} ${namespace}/${name}`,
    verb: 'patch',
    resource: resourceOf(manifest.apiVersion, manifest.kind),
    namespace,
    signal,
  });
  return res.body;
}
