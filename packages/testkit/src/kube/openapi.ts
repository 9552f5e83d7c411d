import { createHash } from 'node:crypto';
import type { ResourceRegistry } from './resource-registry.js';
import { groupVersion, type ResourceType } from './resource-types.js';

/** A served OpenAPI document. */
export interface OpenApiResponse {
  body: unknown;
  contentType: string;
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
const query = (name: string): Record<string, unknown> => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'].map(query);

function schemaName(t: ResourceType): string {
  const reversed = t.group ? t.group.split('.').reverse().join('.') : 'io.k8s.api.core';
  return `${reversed}.${t.version}.${t.kind}`;
}

/**
 * The paths of one type with the operations and parameters clients look
 * for (kubectl checks that PATCH takes `fieldValidation` to validate on the
 * server side). Strategic merge patch is deliberately not advertised, so
 * kubectl computes client-side apply patches from its compiled-in types,
 * and the schemas are open objects: no `kubectl explain` detail.
 */
function typePaths(t: ResourceType): Record<string, unknown> {
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const ref = { $ref: `#/components/schemas/${schemaName(t)}` };
  const content = (types: string[]): Record<string, unknown> => Object.fromEntries(types.map((m) => [m, { schema: ref }]));
  const op = (action: string, id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    operationId: `${action}${id}`,
    responses: { '200': { description: 'OK', content: content(['application/json', 'application/yaml']) } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    ...extra,
  });
  const base = `/${t.group ? 'apis' : 'api'}/${groupVersion(t)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
  const id = `${t.kind}`;
  const item: Record<string, unknown> = {
    get: op('get', id),
    put: op('put', id, { parameters: WRITE_PARAMS, requestBody: { content: content(['*/*']), required: true } }),
    patch: op('patch', id, { parameters: [...WRITE_PARAMS, query('force')], requestBody: { content: content(PATCH_TYPES), required: true } }),
    delete: op('delete', id),
  };
  return {
    [base]: { get: op('list', id), post: op('post', id, { parameters: WRITE_PARAMS, requestBody: { content: content(['*/*']), required: true } }) },
    [`${base}/{name}`]: item,
  };
}

function groupVersionDocument(registry: ResourceRegistry, group: string, version: string): Record<string, unknown> | undefined {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  return {
    openapi: '3.0.0',
    info: INFO,
    paths: Object.assign({}, ...types.map(typePaths)),
    components: {
      schemas: Object.fromEntries(
        types.map((t) => [
          schemaName(t),
          { type: 'object', 'x-kubernetes-group-version-kind': [{ group: t.group, version: t.version, kind: t.kind }], ...(t.schema ? { properties: t.schema.properties ?? {} } : {}) },
        ]),
      ),
    },
  };
}

const hashOf = (value: unknown): string => createHash('sha512').update(JSON.stringify(value)).digest('hex').slice(0, 64).toUpperCase();

const V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
const INFO = { title: 'Kubernetes', version: 'v1.32.4' };

/** A length-delimited protobuf field (wire type 2); lengths here stay under 128 bytes. */
const field = (number: number, bytes: Buffer): Buffer => Buffer.concat([Buffer.from([(number << 3) | 2, bytes.length]), bytes]);

/**
 * An empty OpenAPI v2 document (gnostic `openapi_v2.Document`: swagger, info,
 * empty paths) in protobuf, the only encoding kubectl reads it in. Older
 * kubectl (before v3) insists on downloading it to validate; with no
 * definitions it validates nothing client-side, and the server still does.
 */
function openApiV2Protobuf(): Buffer {
  const info = Buffer.concat([field(1, Buffer.from(INFO.title)), field(2, Buffer.from(INFO.version))]);
  return Buffer.concat([field(1, Buffer.from('2.0')), field(2, info), field(8, Buffer.alloc(0))]);
}

/**
 * `/openapi/v3` (the index) and `/openapi/v3/api/v1`, `/openapi/v3/apis/<g>/<v>`
 * (one document per group version, what kubectl 1.27+ reads), and an empty
 * `/openapi/v2` (protobuf or JSON) for older clients.
 */
export function openApiDocument(registry: ResourceRegistry, path: string, accept: string | undefined): OpenApiResponse | undefined {
  if (path === '/openapi/v2') {
    if ((accept ?? '').includes(V2_PROTOBUF)) return { body: openApiV2Protobuf(), contentType: 'application/octet-stream' };
    return { body: { swagger: '2.0', info: INFO, paths: {}, definitions: {} }, contentType: 'application/json' };
  }
  if (path === '/openapi/v3') {
    const gvs = [...new Set(registry.all().map((t) => groupVersion(t)))];
    const paths = Object.fromEntries(
      gvs.map((gv) => {
        const key = gv.includes('/') ? `apis/${gv}` : `api/${gv}`;
        const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
        return [key, { serverRelativeURL: `/openapi/v3/${key}?hash=${hashOf(groupVersionDocument(registry, group!, version!))}` }];
      }),
    );
    return { body: { paths }, contentType: 'application/json' };
  }
  const match = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
  if (!match) return undefined;
  const doc = match[1] ? groupVersionDocument(registry, '', match[1]) : groupVersionDocument(registry, match[2]!, match[3]!);
  return doc ? { body: doc, contentType: 'application/json' } : undefined;
}
