import { isRecord, type KubeObject } from './kube-object.js';

type Rec = Record<string, unknown>;

/** The `autoscaling/v1 Scale` view of a Deployment (what `/scale` serves). */
export function toScale(deployment: KubeObject): Rec {
  const spec = (isRecord(deployment['spec']) ? deployment['spec'] : {}) as Rec;
  const status = (isRecord(deployment['status']) ? deployment['status'] : {}) as Rec;
  const matchLabels = (isRecord(spec['selector']) && isRecord(spec['selector']['matchLabels']) ? spec['selector']['matchLabels'] : {}) as Rec;
  const { name, namespace, uid, resourceVersion, creationTimestamp } = deployment.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: spec['replicas'] ?? 0 },
    status: {
      replicas: status['replicas'] ?? 0,
      selector: Object.entries(matchLabels).map(([k, v]) => `${k}=${String(v)}`).join(','),
    },
  };
}
