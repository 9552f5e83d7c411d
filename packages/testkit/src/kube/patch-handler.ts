import { parse as parseYaml } from 'yaml';
import type { ApiContext } from './api-context.js';
import { applyJsonPatch } from './json-patch.js';
import { isRecord, type KubeObject } from './kube-object.js';
import { applyMergePatch } from './merge-patch.js';
import type { ApiResponse } from './read-handlers.js';
import type { ResourceTarget } from './request-target.js';
import { groupVersion, resourceKey } from './resource-types.js';
import { toScale } from './scale.js';
import { serverSideApply } from './server-side-apply.js';
import { alreadyExists, badRequest, invalid, notFound, staleResourceVersion, unsupportedMediaType } from './status.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';
import { commit, scaleUpdate, writeOptionsOf, type WriteRequest } from './write-handlers.js';
import { prepareCreate, prepareUpdate } from './write-pipeline.js';

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
const STRATEGIC = 'application/strategic-merge-patch+json';
const APPLY = 'application/apply-patch+yaml';
const APPLY_CBOR = 'application/apply-patch+cbor';

function parseBody(text: string, yaml: boolean): unknown {
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw badRequest(`error decoding patch: ${(error as Error).message}`);
  }
}

/** PATCH with any of the four patch types, on the object, its `/status` or its `/scale`. */
export function handlePatch(ctx: ApiContext, target: ResourceTarget, contentType: string | undefined, text: string, request: WriteRequest): ApiResponse {
  const { type, namespace, name, subresource } = target;
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const accepted = type.strategicMerge ? [JSON_PATCH, MERGE_PATCH, STRATEGIC, APPLY, APPLY_CBOR] : [JSON_PATCH, MERGE_PATCH, APPLY, APPLY_CBOR];
  if (!accepted.includes(mediaType) || mediaType === APPLY_CBOR) throw unsupportedMediaType(accepted);
  const apply = mediaType === APPLY;
  const force = request.query.get('force');
  if (apply && !request.query.get('fieldManager')) {
    throw invalid('meta.k8s.io', 'PatchOptions', '', [{ type: 'FieldValueRequired', field: 'fieldManager', detail: 'is required for apply patch' }]);
  }
  if (!apply && force !== null) throw invalid('meta.k8s.io', 'PatchOptions', '', [{ type: 'FieldValueForbidden', field: 'force', detail: 'may not be specified for non-apply patch' }]);
  const options = writeOptionsOf(ctx, target, request);
  const patch = parseBody(text, apply);
  if (apply) return applyPatch(ctx, target, patch, force === 'true', options);

  const before = ctx.store.get(resourceKey(type), namespace, name!);
  if (!before) throw notFound(type, name!);
  const current = structuredClone(before);
  const base: Record<string, unknown> = subresource === 'scale' ? toScale(current) : (current as Record<string, unknown>);
  let patched: unknown;
  if (mediaType === JSON_PATCH) patched = applyJsonPatch(base, patch);
  else if (mediaType === MERGE_PATCH) {
    if (!isRecord(patch)) throw badRequest('the patch is not a JSON object');
    patched = applyMergePatch(base, patch);
  } else patched = applyStrategicMergePatch(type, base, patch);
  if (subresource === 'scale') return commit(ctx, target, scaleUpdate(ctx, target, current, patched, options), false, options.dryRun);
  if (isRecord(patched) && isRecord(patched['metadata'])) {
    const rv = patched['metadata']['resourceVersion'];
    if (rv !== undefined && rv !== before.metadata.resourceVersion) throw staleResourceVersion(type, name!);
  }
  return commit(ctx, target, prepareUpdate(type, current, patched, options, ctx), false, options.dryRun);
}

/** Server-side apply: creates the object if it does not exist, merges and tracks ownership otherwise. */
function applyPatch(ctx: ApiContext, target: ResourceTarget, config: unknown, force: boolean, options: ReturnType<typeof writeOptionsOf>): ApiResponse {
  const { type, namespace, name, subresource } = target;
  if (subresource === 'scale') throw unsupportedMediaType([JSON_PATCH, MERGE_PATCH, STRATEGIC]);
  if (!isRecord(config)) throw badRequest('error decoding YAML: the apply configuration must be an object');
  const meta = isRecord(config['metadata']) ? config['metadata'] : {};
  if (config['apiVersion'] !== groupVersion(type) || config['kind'] !== type.kind) {
    throw badRequest(`the API version in the data (${String(config['apiVersion'])}) does not match the expected API version (${groupVersion(type)})`);
  }
  if (meta['name'] !== undefined && meta['name'] !== name) throw badRequest(`the name of the object (${String(meta['name'])}) does not match the name on the URL (${name})`);
  if (meta['managedFields'] !== undefined) throw badRequest('metadata.managedFields must be nil');
  const applied = structuredClone(config) as KubeObject;
  applied.metadata = { ...meta, name: name! } as KubeObject['metadata'];
  if (type.namespaced) applied.metadata.namespace = namespace;
  if (type.subresources.includes('status')) {
    if (subresource === 'status') for (const key of Object.keys(applied)) if (!['apiVersion', 'kind', 'metadata', 'status'].includes(key)) delete applied[key];
    if (subresource !== 'status') delete applied['status'];
  }
  const before = ctx.store.get(resourceKey(type), namespace, name!);
  if (!before) {
    if (subresource === 'status') throw notFound(type, name!);
    ctx.requireNamespace(type, namespace, name!, true);
    const skeleton = { apiVersion: groupVersion(type), kind: type.kind, metadata: { name: name!, ...(type.namespaced ? { namespace } : {}) } } as KubeObject;
    const merged = serverSideApply(type, skeleton, applied, options.writer, force);
    const prepared = prepareCreate(ctx, type, namespace, merged, { ...options, applied: true });
    if (ctx.store.get(resourceKey(type), namespace, name!)) throw alreadyExists(type, name!);
    return commit(ctx, target, prepared, true, options.dryRun);
  }
  if (meta['resourceVersion'] !== undefined && meta['resourceVersion'] !== before.metadata.resourceVersion) throw staleResourceVersion(type, name!);
  const merged = serverSideApply(type, structuredClone(before), applied, options.writer, force);
  delete merged.metadata.resourceVersion;
  return commit(ctx, target, prepareUpdate(type, before, merged, { ...options, applied: true }, ctx), false, options.dryRun);
}
