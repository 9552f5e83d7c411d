import { isRecord, type KubeObject } from './kube-object.js';

interface Column {
  name: string;
  type: string;
  format?: string;
  description: string;
  priority: number;
  cell: (o: KubeObject, now: number) => unknown;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (isRecord(v) ? v : {});
const count = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** kubectl's `HumanDuration`, which the server uses for the AGE column. */
export function humanDuration(millis: number): string {
  const s = Math.max(0, Math.floor(millis / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return d < 730 ? `${d}d` : `${Math.floor(d / 365)}y`;
}

const name: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0, cell: (o) => o.metadata.name };
const age: Column = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
  cell: (o, now) => (o.metadata.creationTimestamp ? humanDuration(now - Date.parse(o.metadata.creationTimestamp)) : '<unknown>'),
};
const col = (title: string, cell: Column['cell'], type = 'string', priority = 0): Column => ({ name: title, type, description: title, priority, cell });

const COLUMNS: Record<string, Column[]> = {
  Namespace: [name, col('Status', (o) => rec(o['status'])['phase'] ?? ''), age],
  ConfigMap: [name, col('Data', (o) => Object.keys(rec(o['data'])).length + Object.keys(rec(o['binaryData'])).length, 'integer'), age],
  Secret: [name, col('Type', (o) => o['type'] ?? ''), col('Data', (o) => Object.keys(rec(o['data'])).length, 'integer'), age],
  Service: [
    name,
    col('Type', (o) => rec(o['spec'])['type'] ?? ''),
    col('Cluster-IP', (o) => rec(o['spec'])['clusterIP'] ?? ''),
    col('External-IP', () => '<none>'),
    col('Port(s)', (o) => ((rec(o['spec'])['ports'] as Rec[] | undefined) ?? []).map((p) => `${p['port']}/${p['protocol'] ?? 'TCP'}`).join(',') || '<none>'),
    age,
  ],
  Pod: [
    name,
    col('Ready', (o) => `0/${((rec(o['spec'])['containers'] as unknown[] | undefined) ?? []).length}`),
    col('Status', (o) => rec(o['status'])['phase'] ?? ''),
    col('Restarts', () => '0'),
    age,
  ],
  Deployment: [
    name,
    col('Ready', (o) => `${count(rec(o['status'])['readyReplicas'])}/${count(rec(o['spec'])['replicas'])}`),
    col('Up-to-date', (o) => count(rec(o['status'])['updatedReplicas']), 'integer'),
    col('Available', (o) => count(rec(o['status'])['availableReplicas']), 'integer'),
    age,
  ],
  Lease: [name, col('Holder', (o) => rec(o['spec'])['holderIdentity'] ?? ''), age],
};

/** Converts objects to a `meta.k8s.io/v1 Table` the way `kubectl get` asks for it (`Accept: ...;as=Table`). */
export function toTable(kind: string, objects: KubeObject[], resourceVersion: string, includeObject: string | null, now: number): Rec {
  const columns = COLUMNS[kind] ?? [name, age];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map(({ cell: _cell, ...c }) => c),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      object:
        includeObject === 'None'
          ? undefined
          : includeObject === 'Object'
            ? o
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

/** True if the Accept header asks for a Table first (kubectl's human-readable output). */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',')[0]?.includes('as=Table') === true;
}
