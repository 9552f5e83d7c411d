import { validateWithSchema } from './crd-schema.js';
import { isRecord, jsonEqual, type KubeObject } from './kube-object.js';
import { dns1035Label, dns1123Label, dns1123Subdomain, nameErrors, validateLabels } from './names.js';
import type { ResourceType } from './resource-types.js';
import type { FieldError } from './status.js';

const MAX_CONFIG_BYTES = 1024 * 1024;
type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (isRecord(v) ? v : {});

function validatePort(value: unknown, field: string, errors: FieldError[]): void {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535) {
    errors.push({ type: 'FieldValueInvalid', field, value, detail: 'must be between 1 and 65535, inclusive' });
  }
}

function validateContainers(containers: unknown, field: string, errors: FieldError[]): void {
  if (!Array.isArray(containers) || containers.length === 0) {
    errors.push({ type: 'FieldValueRequired', field });
    return;
  }
  const seen = new Set<string>();
  containers.forEach((raw, i) => {
    const c = rec(raw);
    const at = `${field}[${i}]`;
    if (typeof c['name'] !== 'string' || c['name'] === '') errors.push({ type: 'FieldValueRequired', field: `${at}.name` });
    else {
      for (const detail of dns1123Label(c['name'])) errors.push({ type: 'FieldValueInvalid', field: `${at}.name`, value: c['name'], detail });
      if (seen.has(c['name'])) errors.push({ type: 'FieldValueDuplicate', field: `${at}.name`, value: c['name'] });
      seen.add(c['name']);
    }
    if (typeof c['image'] !== 'string' || c['image'].trim() === '') errors.push({ type: 'FieldValueRequired', field: `${at}.image` });
    (Array.isArray(c['ports']) ? c['ports'] : []).forEach((p, j) => validatePort(rec(p)['containerPort'], `${at}.ports[${j}].containerPort`, errors));
    (Array.isArray(c['env']) ? c['env'] : []).forEach((e, j) => {
      if (typeof rec(e)['name'] !== 'string' || rec(e)['name'] === '') errors.push({ type: 'FieldValueRequired', field: `${at}.env[${j}].name` });
    });
  });
}

function validateDeployment(o: KubeObject, old: KubeObject | undefined, errors: FieldError[]): void {
  const spec = rec(o['spec']);
  const replicas = spec['replicas'];
  if (replicas !== undefined && (!Number.isInteger(replicas) || (replicas as number) < 0)) {
    errors.push({ type: 'FieldValueInvalid', field: 'spec.replicas', value: replicas, detail: 'must be greater than or equal to 0' });
  }
  const selector = spec['selector'];
  const template = rec(spec['template']);
  const templateLabels = rec(rec(template['metadata'])['labels']);
  if (!isRecord(selector)) errors.push({ type: 'FieldValueRequired', field: 'spec.selector' });
  else {
    const matchLabels = rec(selector['matchLabels']);
    const expressions = Array.isArray(selector['matchExpressions']) ? selector['matchExpressions'] : [];
    if (Object.keys(matchLabels).length === 0 && expressions.length === 0) {
      errors.push({ type: 'FieldValueInvalid', field: 'spec.selector', value: selector, detail: 'empty selector is invalid for deployment' });
    } else if (!Object.entries(matchLabels).every(([k, v]) => templateLabels[k] === v)) {
      errors.push({ type: 'FieldValueInvalid', field: 'spec.template.metadata.labels', value: templateLabels, detail: '`selector` does not match template `labels`' });
    }
    if (old && !jsonEqual(rec(old['spec'])['selector'], selector)) {
      errors.push({ type: 'FieldValueInvalid', field: 'spec.selector', value: selector, detail: 'field is immutable' });
    }
  }
  errors.push(...validateLabels(rec(template['metadata'])['labels'], 'spec.template.metadata.labels'));
  validateContainers(rec(template['spec'])['containers'], 'spec.template.spec.containers', errors);
  const restart = rec(template['spec'])['restartPolicy'];
  if (restart !== undefined && restart !== 'Always') {
    errors.push({ type: 'FieldValueNotSupported', field: 'spec.template.spec.restartPolicy', value: restart, detail: 'supported values: "Always"' });
  }
}

function validateService(o: KubeObject, old: KubeObject | undefined, errors: FieldError[]): void {
  const spec = rec(o['spec']);
  const type = spec['type'] ?? 'ClusterIP';
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(type as string)) {
    errors.push({ type: 'FieldValueNotSupported', field: 'spec.type', value: type, detail: 'supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"' });
  }
  const ports = Array.isArray(spec['ports']) ? spec['ports'] : [];
  if (ports.length === 0 && spec['clusterIP'] !== 'None' && type !== 'ExternalName') errors.push({ type: 'FieldValueRequired', field: 'spec.ports' });
  ports.forEach((raw, i) => {
    const p = rec(raw);
    validatePort(p['port'], `spec.ports[${i}].port`, errors);
    if (ports.length > 1 && !p['name']) errors.push({ type: 'FieldValueRequired', field: `spec.ports[${i}].name` });
  });
  const oldIp = rec(old?.['spec'])['clusterIP'];
  if (old && oldIp !== undefined && spec['clusterIP'] !== undefined && spec['clusterIP'] !== oldIp) {
    errors.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', value: spec['clusterIP'], detail: 'may not change once set' });
  }
}

function validateData(o: KubeObject, old: KubeObject | undefined, errors: FieldError[]): void {
  const size = ['data', 'binaryData', 'stringData'].reduce((n, f) => n + Object.entries(rec(o[f])).reduce((m, [k, v]) => m + k.length + String(v).length, 0), 0);
  if (size > MAX_CONFIG_BYTES) errors.push({ type: 'FieldValueTooLong', field: '', detail: `must have at most ${MAX_CONFIG_BYTES} bytes` });
  for (const field of ['data', 'binaryData']) {
    for (const key of Object.keys(rec(o[field]))) {
      if (!/^[-._a-zA-Z0-9]+$/.test(key) || key.length > 253) {
        errors.push({ type: 'FieldValueInvalid', field: `${field}[${key}]`, value: key, detail: "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')" });
      }
    }
  }
  if (old && old['immutable'] === true) {
    for (const field of ['data', 'binaryData']) {
      if (!jsonEqual(old[field], o[field])) errors.push({ type: 'FieldValueForbidden', field, detail: 'field is immutable when `immutable` is set' });
    }
    if (o['immutable'] !== true) errors.push({ type: 'FieldValueForbidden', field: 'immutable', detail: 'field is immutable when `immutable` is set' });
  }
}

function validateCrd(o: KubeObject, errors: FieldError[]): void {
  const spec = rec(o['spec']);
  const names = rec(spec['names']);
  const group = spec['group'];
  if (typeof group !== 'string' || group === '') errors.push({ type: 'FieldValueRequired', field: 'spec.group' });
  else if (!group.includes('.')) errors.push({ type: 'FieldValueInvalid', field: 'spec.group', value: group, detail: 'should be a domain with at least one dot' });
  if (typeof names['plural'] !== 'string' || names['plural'] === '') errors.push({ type: 'FieldValueRequired', field: 'spec.names.plural' });
  if (typeof names['kind'] !== 'string' || names['kind'] === '') errors.push({ type: 'FieldValueRequired', field: 'spec.names.kind' });
  if (spec['scope'] !== 'Namespaced' && spec['scope'] !== 'Cluster') {
    errors.push({ type: 'FieldValueNotSupported', field: 'spec.scope', value: spec['scope'] ?? '', detail: 'supported values: "Cluster", "Namespaced"' });
  }
  const versions = Array.isArray(spec['versions']) ? spec['versions'].map(rec) : [];
  if (versions.length === 0) errors.push({ type: 'FieldValueInvalid', field: 'spec.versions', value: [], detail: 'must have exactly one version marked as storage version' });
  else if (versions.filter((v) => v['storage'] === true).length !== 1) {
    errors.push({ type: 'FieldValueInvalid', field: 'spec.versions', value: versions.map((v) => v['name']), detail: 'must have exactly one version marked as storage version' });
  }
  if (typeof group === 'string' && typeof names['plural'] === 'string' && o.metadata.name !== `${names['plural']}.${group}`) {
    errors.push({ type: 'FieldValueInvalid', field: 'metadata.name', value: o.metadata.name, detail: 'must be spec.names.plural+"."+spec.group' });
  }
}

/** The name rule each kind uses for `metadata.name`. */
function nameRule(kind: string): (v: string) => string[] {
  if (kind === 'Namespace') return dns1123Label;
  if (kind === 'Service') return dns1035Label;
  return dns1123Subdomain;
}

/** Everything the fake rejects with 422 for this object (on create, or on update when `old` is given). */
export function validateObject(type: ResourceType, o: KubeObject, old?: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  if (!o.metadata.name) errors.push({ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' });
  else errors.push(...nameErrors(o.metadata.name, nameRule(type.kind)));
  errors.push(...validateLabels(o.metadata.labels, 'metadata.labels'));
  if (type.crdName) {
    errors.push(...validateWithSchema(o, type.schema));
    return errors;
  }
  switch (type.kind) {
    case 'Deployment':
      validateDeployment(o, old, errors);
      break;
    case 'Pod':
      validateContainers(rec(o['spec'])['containers'], 'spec.containers', errors);
      break;
    case 'Service':
      validateService(o, old, errors);
      break;
    case 'ConfigMap':
    case 'Secret':
      validateData(o, old, errors);
      break;
    case 'Lease': {
      const duration = rec(o['spec'])['leaseDurationSeconds'];
      if (duration !== undefined && (!Number.isInteger(duration) || (duration as number) <= 0)) {
        errors.push({ type: 'FieldValueInvalid', field: 'spec.leaseDurationSeconds', value: duration, detail: 'must be greater than 0' });
      }
      break;
    }
    case 'CustomResourceDefinition':
      validateCrd(o, errors);
      break;
  }
  return errors;
}
