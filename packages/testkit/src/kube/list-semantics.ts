import { schemaAt } from './crd-schema.js';
import type { ResourceType } from './resource-types.js';

/** How server-side apply treats a list: replaced whole, a set of scalars, or a map keyed by some fields. */
export type ApplyListType = { type: 'atomic' } | { type: 'set' } | { type: 'map'; keys: string[]; defaults: Record<string, unknown> };

/** What a field means for patches and field ownership; `path` holds field names only (list items are skipped). */
export interface FieldSemantics {
  /** Strategic merge patch merges this list by this key (`patchMergeKey`). */
  mergeKey?: string;
  /** Strategic merge patch merges this list of scalars as a set (`finalizers`). */
  mergePrimitives?: boolean;
  /** Server-side apply's list type. */
  applyList: ApplyListType;
  /** A map field (labels, data): its keys are owned one by one and the map itself gets a `.` entry. */
  isMap: boolean;
  /** Owned as a whole (a `+structType=atomic` struct such as a Deployment's `spec.selector`). */
  atomicObject: boolean;
}

const ATOMIC: ApplyListType = { type: 'atomic' };
const byName = (key = 'name'): Pick<FieldSemantics, 'mergeKey' | 'applyList'> => ({ mergeKey: key, applyList: { type: 'map', keys: [key], defaults: {} } });

/** Lists of the core and apps types keyed by their last field name (and, for `ports`, by where they are). */
function builtinList(type: ResourceType, path: string[]): Pick<FieldSemantics, 'mergeKey' | 'mergePrimitives' | 'applyList'> {
  const last = path[path.length - 1];
  switch (last) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'env':
    case 'volumes':
    case 'imagePullSecrets':
    case 'resourceClaims':
      return byName();
    case 'volumeMounts':
      return byName('mountPath');
    case 'volumeDevices':
      return byName('devicePath');
    case 'conditions':
      return byName('type');
    case 'ownerReferences':
      return byName('uid');
    case 'hostAliases':
      return byName('ip');
    case 'topologySpreadConstraints':
      return { mergeKey: 'topologyKey', applyList: { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'], defaults: {} } };
    case 'finalizers':
      return path.length === 2 && path[0] === 'metadata' ? { mergePrimitives: true, applyList: { type: 'set' } } : { applyList: ATOMIC };
    case 'ports':
      if (type.kind === 'Service' && path.join('.') === 'spec.ports') {
        return { mergeKey: 'port', applyList: { type: 'map', keys: ['port', 'protocol'], defaults: { protocol: 'TCP' } } };
      }
      if (path.includes('containers') || path.includes('initContainers')) {
        return { mergeKey: 'containerPort', applyList: { type: 'map', keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } } };
      }
      return { applyList: ATOMIC };
    default:
      return { applyList: ATOMIC };
  }
}

const MAP_FIELDS = new Set(['labels', 'annotations', 'data', 'binaryData', 'stringData', 'matchLabels', 'nodeSelector', 'limits', 'requests']);

/** The semantics of the field at `path` in an object of `type`. */
export function fieldSemantics(type: ResourceType, path: string[]): FieldSemantics {
  const last = path[path.length - 1] ?? '';
  if (type.crdName && path[0] !== 'metadata') {
    const schema = schemaAt(type.schema, path);
    const listType = schema?.['x-kubernetes-list-type'];
    const keys = schema?.['x-kubernetes-list-map-keys'];
    const applyList: ApplyListType = listType === 'set' ? { type: 'set' } : listType === 'map' && keys?.length ? { type: 'map', keys, defaults: {} } : ATOMIC;
    const isMap = schema?.type === 'object' && !schema.properties && typeof schema.additionalProperties === 'object';
    return { applyList, isMap, atomicObject: false };
  }
  const isServiceSelector = type.kind === 'Service' && path.join('.') === 'spec.selector';
  const isLabelSelector = last === 'selector' && !isServiceSelector && (type.kind === 'Deployment' || path.length > 2);
  return {
    ...builtinList(type, path),
    isMap: MAP_FIELDS.has(last) || isServiceSelector,
    atomicObject: isLabelSelector || last === 'labelSelector',
  };
}
