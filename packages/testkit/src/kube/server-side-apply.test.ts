import { describe, expect, it } from 'vitest';
import { formatPath, fromFieldsV1, toFieldsV1 } from './field-set.js';
import type { KubeObject } from './kube-object.js';
import { recordUpdate } from './managed-fields.js';
import { builtinResourceTypes } from './resource-types.js';
import { serverSideApply } from './server-side-apply.js';
import { KubeStatusError } from './status.js';

const deployments = builtinResourceTypes().find((t) => t.kind === 'Deployment')!;
const writer = (manager: string) => ({ manager, apiVersion: 'apps/v1', time: '2026-01-01T00:00:00Z' });
const skeleton = (): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } });
const config = (replicas: number, containers: Array<Record<string, unknown>> = [{ name: 'web', image: 'nginx:1' }]): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers } } },
});

describe('field sets (managedFields FieldsV1)', () => {
  it('round-trips and prints paths the way conflict messages do', () => {
    const fields = { 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } } } } } };
    const paths = fromFieldsV1(fields);
    expect(toFieldsV1(paths)).toEqual(fields);
    expect([...paths].map(formatPath).sort()).toEqual(['.spec.replicas', '.spec.template.spec.containers[name="web"]', '.spec.template.spec.containers[name="web"].image']);
  });
});

describe('server-side apply', () => {
  it('owns exactly what was applied: map keys, list items by merge key, atomic selector', () => {
    const live = serverSideApply(deployments, skeleton(), config(2), writer('a'), false);
    const owned = toFieldsV1(fromFieldsV1(live.metadata.managedFields![0]!.fieldsV1));
    expect(live.metadata.managedFields![0]).toMatchObject({ manager: 'a', operation: 'Apply' });
    expect(owned).toMatchObject({
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': { 'f:replicas': {}, 'f:selector': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } },
    });
  });

  it('conflicts with another manager that owns a field with a different value, unless forced', () => {
    const live = serverSideApply(deployments, skeleton(), config(2), writer('a'), false);
    let conflict: KubeStatusError | undefined;
    try {
      serverSideApply(deployments, live, config(5), writer('b'), false);
    } catch (error) {
      conflict = error as KubeStatusError;
    }
    expect(conflict?.status).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "a": .spec.replicas',
      details: { causes: [{ type: 'FieldManagerConflict', message: 'conflict with "a"', field: '.spec.replicas' }] },
    });
    // The same value is shared ownership, not a conflict.
    const shared = serverSideApply(deployments, live, config(2), writer('b'), false);
    expect(shared.metadata.managedFields!.map((m) => m.manager)).toEqual(['a', 'b']);
    const forced = serverSideApply(deployments, live, config(5), writer('b'), true);
    expect((forced['spec'] as { replicas: number }).replicas).toBe(5);
    const a = fromFieldsV1(forced.metadata.managedFields!.find((m) => m.manager === 'a')!.fieldsV1);
    expect([...a].map(formatPath)).not.toContain('.spec.replicas');
  });

  it('removes what the manager stops applying unless another manager owns it', () => {
    const two = [{ name: 'web', image: 'nginx:1' }, { name: 'sidecar', image: 'envoy:1' }];
    const live = serverSideApply(deployments, skeleton(), config(2, two), writer('a'), false);
    const after = serverSideApply(deployments, live, config(2), writer('a'), false);
    const containers = ((after['spec'] as Record<string, any>)['template'].spec.containers as Array<{ name: string }>).map((c) => c.name);
    expect(containers).toEqual(['web']);
  });

  it('reports an Update manager in a conflict with its API version and time', () => {
    const created = { ...config(2), metadata: { name: 'web', namespace: 'shop' } } as KubeObject;
    created.metadata.managedFields = recordUpdate(deployments, undefined, created, writer('kubectl-client-side-apply'));
    expect(() => serverSideApply(deployments, created, config(3), writer('kubectl'), false)).toThrow(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1 at 2026-01-01T00:00:00Z: .spec.replicas',
    );
  });
});
