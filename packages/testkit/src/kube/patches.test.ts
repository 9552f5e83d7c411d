import { describe, expect, it } from 'vitest';
import { applyJsonPatch } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import { builtinResourceTypes } from './resource-types.js';
import { KubeStatusError } from './status.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

const deployments = builtinResourceTypes().find((t) => t.kind === 'Deployment')!;
const services = builtinResourceTypes().find((t) => t.kind === 'Service')!;

const deployment = () => ({
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          { name: 'web', image: 'nginx:1', ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], args: ['x', 'y'] },
          { name: 'sidecar', image: 'envoy:1' },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      },
    },
  },
});

describe('JSON patch (RFC 6902)', () => {
  it('adds, replaces, removes, moves, copies and tests', () => {
    const out = applyJsonPatch(deployment(), [
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/metadata/labels/env', value: 'prod' },
      { op: 'remove', path: '/metadata/labels/tier' },
      { op: 'add', path: '/spec/template/spec/containers/0/args/-', value: 'z' },
      { op: 'copy', from: '/metadata/labels/app', path: '/metadata/labels/copied' },
      { op: 'move', from: '/metadata/labels/copied', path: '/metadata/labels/moved' },
      { op: 'test', path: '/spec/replicas', value: 3 },
    ]) as ReturnType<typeof deployment>;
    expect(out.spec.replicas).toBe(3);
    expect(out.metadata.labels).toEqual({ app: 'web', env: 'prod', moved: 'web' });
    expect(out.spec.template.spec.containers[0]!.args).toEqual(['x', 'y', 'z']);
  });

  it('fails a test op or a missing path with 422, like the apiserver', () => {
    for (const patch of [[{ op: 'test', path: '/spec/replicas', value: 9 }], [{ op: 'replace', path: '/spec/nope/deeper', value: 1 }]]) {
      try {
        applyJsonPatch(deployment(), patch);
        expect.unreachable();
      } catch (error) {
        expect((error as KubeStatusError).status).toMatchObject({ code: 422, reason: 'Invalid' });
      }
    }
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, deletes on null and replaces lists whole', () => {
    const out = applyMergePatch(deployment(), { metadata: { labels: { tier: null, env: 'prod' } }, spec: { template: { spec: { containers: [{ name: 'only' }] } } } }) as ReturnType<typeof deployment>;
    expect(out.metadata.labels).toEqual({ app: 'web', env: 'prod' });
    expect(out.spec.template.spec.containers).toEqual([{ name: 'only' }]);
    expect(out.spec.replicas).toBe(2);
  });
});

describe('strategic merge patch', () => {
  it('merges containers by name, env by name and ports by containerPort; other lists are replaced', () => {
    const out = applyStrategicMergePatch(deployments, deployment(), {
      spec: {
        template: {
          spec: {
            containers: [{ name: 'web', image: 'nginx:2', env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }], ports: [{ containerPort: 443 }], args: ['only'] }],
          },
        },
      },
    }) as ReturnType<typeof deployment>;
    const [web, sidecar] = out.spec.template.spec.containers;
    expect(web).toMatchObject({ name: 'web', image: 'nginx:2', args: ['only'] });
    expect(web!.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }]);
    expect(web!.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }]);
    expect(sidecar).toEqual({ name: 'sidecar', image: 'envoy:1' });
  });

  it('honours $patch: delete on list items and maps, $patch: replace, and $setElementOrder', () => {
    const out = applyStrategicMergePatch(deployments, deployment(), {
      metadata: { labels: { $patch: 'replace', only: 'this' } },
      spec: {
        template: {
          spec: {
            $setElementOrder_ignored: undefined,
            '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }],
            containers: [{ name: 'web', env: [{ name: 'A', $patch: 'delete' }] }],
            volumes: [{ name: 'data', $patch: 'delete' }],
          },
        },
      },
    }) as ReturnType<typeof deployment>;
    expect(out.metadata.labels).toEqual({ only: 'this' });
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(['sidecar', 'web']);
    expect(out.spec.template.spec.containers[1]!.env).toEqual([{ name: 'B', value: '2' }]);
    expect(out.spec.template.spec.volumes).toEqual([]);
  });

  it('merges Service ports by port', () => {
    const svc = { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443 }] } };
    const out = applyStrategicMergePatch(services, svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }) as typeof svc;
    expect(out.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 9090 }, { name: 'https', port: 443 }]);
  });
});
