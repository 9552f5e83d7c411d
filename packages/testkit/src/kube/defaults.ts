import { isRecord, type KubeObject } from './kube-object.js';

type Rec = Record<string, unknown>;
const obj = (parent: Rec, key: string): Rec => {
  if (!isRecord(parent[key])) parent[key] = {};
  return parent[key] as Rec;
};
const setDefault = (target: Rec, key: string, value: unknown): void => {
  if (target[key] === undefined) target[key] = value;
};

function defaultContainer(c: Rec): void {
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  const image = typeof c['image'] === 'string' ? c['image'] : '';
  const tag = image.includes('@') ? 'digest' : (/:([^/:]+)$/.exec(image)?.[1] ?? 'latest');
  setDefault(c, 'imagePullPolicy', tag === 'latest' ? 'Always' : 'IfNotPresent');
  setDefault(c, 'resources', {});
  for (const p of Array.isArray(c['ports']) ? c['ports'] : []) if (isRecord(p)) setDefault(p, 'protocol', 'TCP');
}

function defaultPodSpec(spec: Rec): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const list of ['containers', 'initContainers']) {
    for (const c of Array.isArray(spec[list]) ? spec[list] : []) if (isRecord(c)) defaultContainer(c);
  }
}

/** Fills in what the real apiserver's defaulting fills in, for the fields clients read back. */
export function applyDefaults(o: KubeObject, allocateClusterIp: () => string): void {
  switch (o.kind) {
    case 'Namespace':
      o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name };
      setDefault(obj(o, 'spec'), 'finalizers', ['kubernetes']);
      setDefault(obj(o, 'status'), 'phase', 'Active');
      break;
    case 'Secret':
      setDefault(o, 'type', 'Opaque');
      break;
    case 'Service': {
      const spec = obj(o, 'spec');
      setDefault(spec, 'type', 'ClusterIP');
      setDefault(spec, 'sessionAffinity', 'None');
      if (spec['type'] !== 'ExternalName') {
        setDefault(spec, 'clusterIP', allocateClusterIp());
        setDefault(spec, 'clusterIPs', [spec['clusterIP']]);
        setDefault(spec, 'ipFamilies', ['IPv4']);
        setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
        setDefault(spec, 'internalTrafficPolicy', 'Cluster');
      }
      for (const p of Array.isArray(spec['ports']) ? spec['ports'] : []) {
        if (!isRecord(p)) continue;
        setDefault(p, 'protocol', 'TCP');
        setDefault(p, 'targetPort', p['port']);
      }
      setDefault(obj(o, 'status'), 'loadBalancer', {});
      break;
    }
    case 'Deployment': {
      const spec = obj(o, 'spec');
      setDefault(spec, 'replicas', 1);
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'progressDeadlineSeconds', 600);
      const strategy = obj(spec, 'strategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy['type'] === 'RollingUpdate') {
        const rolling = obj(strategy, 'rollingUpdate');
        setDefault(rolling, 'maxUnavailable', '25%');
        setDefault(rolling, 'maxSurge', '25%');
      }
      defaultPodSpec(obj(obj(spec, 'template'), 'spec'));
      break;
    }
    case 'Pod':
      defaultPodSpec(obj(o, 'spec'));
      setDefault(obj(o, 'status'), 'phase', 'Pending');
      setDefault(obj(o, 'status'), 'qosClass', 'BestEffort');
      break;
    case 'CustomResourceDefinition':
      setDefault(obj(o, 'spec'), 'conversion', { strategy: 'None' });
      break;
  }
}
