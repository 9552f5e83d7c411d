import { isRecord, type KubeObject } from './kube-object.js';
import type { ResourceType } from './resource-types.js';
import { badRequest } from './status.js';

/** A known shape: `true` accepts anything below, an object lists the known fields, a one-element array is a list of that shape. */
type Shape = true | { [field: string]: Shape } | [Shape];

const any = true as const;
const fields = (...names: string[]): Record<string, Shape> => Object.fromEntries(names.map((n) => [n, any]));

const METADATA: Shape = fields(
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
);
const CONTAINER: Shape = fields(
  'name', 'image', 'command', 'args', 'workingDir', 'ports', 'envFrom', 'env', 'resources', 'resizePolicy', 'restartPolicy',
  'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'terminationMessagePath',
  'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty',
);
const POD_SPEC: Shape = {
  ...fields(
    'volumes', 'restartPolicy', 'terminationGracePeriodSeconds', 'activeDeadlineSeconds', 'dnsPolicy', 'nodeSelector',
    'serviceAccountName', 'serviceAccount', 'automountServiceAccountToken', 'nodeName', 'hostNetwork', 'hostPID', 'hostIPC',
    'shareProcessNamespace', 'securityContext', 'imagePullSecrets', 'hostname', 'subdomain', 'affinity', 'schedulerName',
    'tolerations', 'hostAliases', 'priorityClassName', 'priority', 'dnsConfig', 'readinessGates', 'runtimeClassName',
    'enableServiceLinks', 'preemptionPolicy', 'overhead', 'topologySpreadConstraints', 'setHostnameAsFQDN', 'os', 'hostUsers',
    'schedulingGates', 'resourceClaims', 'resources', 'ephemeralContainers',
  ),
  containers: [CONTAINER],
  initContainers: [CONTAINER],
};
const STATUS_ANY = { status: any } as const;

const SHAPES: Record<string, Shape> = {
  Namespace: { spec: fields('finalizers'), ...STATUS_ANY },
  ConfigMap: fields('data', 'binaryData', 'immutable'),
  Secret: fields('data', 'stringData', 'type', 'immutable'),
  Service: {
    spec: fields(
      'ports', 'selector', 'clusterIP', 'clusterIPs', 'type', 'externalIPs', 'sessionAffinity', 'loadBalancerIP', 'loadBalancerSourceRanges',
      'externalName', 'externalTrafficPolicy', 'healthCheckNodePort', 'publishNotReadyAddresses', 'sessionAffinityConfig', 'ipFamilies',
      'ipFamilyPolicy', 'allocateLoadBalancerNodePorts', 'loadBalancerClass', 'internalTrafficPolicy', 'trafficDistribution',
    ),
    ...STATUS_ANY,
  },
  Pod: { spec: POD_SPEC, ...STATUS_ANY },
  Deployment: {
    spec: {
      ...fields('replicas', 'selector', 'strategy', 'minReadySeconds', 'revisionHistoryLimit', 'paused', 'progressDeadlineSeconds'),
      template: { metadata: METADATA, spec: POD_SPEC },
    },
    ...STATUS_ANY,
  },
  Lease: { spec: fields('holderIdentity', 'leaseDurationSeconds', 'acquireTime', 'renewTime', 'leaseTransitions', 'strategy', 'preferredHolder') },
  CustomResourceDefinition: { spec: fields('group', 'names', 'scope', 'versions', 'conversion', 'preserveUnknownFields'), ...STATUS_ANY },
};

/** Walks `value` against `shape`, collecting unknown field paths and deleting them (the typed decoder drops them). */
function prune(value: unknown, shape: Shape, path: string, unknown: string[]): void {
  if (shape === true) return;
  if (Array.isArray(shape)) {
    if (Array.isArray(value)) value.forEach((item, i) => prune(item, shape[0], `${path}[${i}]`, unknown));
    return;
  }
  if (!isRecord(value)) return;
  for (const key of Object.keys(value)) {
    const child = shape[key];
    const childPath = path ? `${path}.${key}` : key;
    if (child === undefined) {
      unknown.push(childPath);
      delete value[key];
    } else prune(value[key], child, childPath, unknown);
  }
}

/** `fieldValidation` as a request gives it (absent means Warn, the server default). */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Parses the `fieldValidation` query parameter like the real server (400 for an unknown value). */
export function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw badRequest(`fieldValidation: Unsupported value: "${value}": supported values: "Ignore", "Strict", "Warn"`);
}

/**
 * Drops unknown fields of a built-in object (custom resources are pruned by
 * their schema instead) and reports them as the directive asks: Strict is a
 * 400, Warn returns the warnings for `Warning` headers, Ignore says nothing.
 */
export function checkUnknownFields(type: ResourceType, object: KubeObject, directive: FieldValidation): string[] {
  if (type.crdName) return [];
  const shape: Shape = { apiVersion: any, kind: any, metadata: METADATA, ...(SHAPES[type.kind] as Record<string, Shape>) };
  const unknown: string[] = [];
  prune(object, shape, '', unknown);
  if (unknown.length === 0 || directive === 'Ignore') return [];
  if (directive === 'Strict') throw badRequest(`strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`);
  return unknown.map((u) => `unknown field "${u}"`);
}
