import { served, type ApiContext } from './api-context.js';
import { afterStore, deleteObject } from './cluster-lifecycle.js';
import { parseFieldValidation } from './field-validation.js';
import { isRecord, type KubeObject } from './kube-object.js';
import type { Writer } from './managed-fields.js';
import type { ApiResponse } from './read-handlers.js';
import type { ResourceTarget } from './request-target.js';
import { groupVersion, resourceKey } from './resource-types.js';
import { toScale } from './scale.js';
import { alreadyExists, badRequest, conflict, deleteSuccess, invalid, methodNotAllowed, resourceNotFound } from './status.js';
import { prepareCreate, prepareUpdate, type PreparedWrite, type WriteOptions } from './write-pipeline.js';

/** What a write request says besides its body. */
export interface WriteRequest {
  query: URLSearchParams;
  userAgent: string | undefined;
}

/** `fieldManager`, or the user agent's product (`kubectl`, `node-fetch`) as the real server derives it. */
export function managerOf(request: WriteRequest): string {
  const explicit = request.query.get('fieldManager');
  if (explicit) return explicit;
  return (request.userAgent ?? 'unknown').split('/')[0]!.slice(0, 128) || 'unknown';
}

/** Parses write options, rejecting what the real server rejects (a bad dryRun, a bad fieldValidation, a too long fieldManager). */
export function writeOptionsOf(ctx: ApiContext, target: ResourceTarget, request: WriteRequest): WriteOptions & { dryRun: boolean } {
  const dryRun = request.query.getAll('dryRun');
  if (dryRun.some((d) => d !== 'All')) throw badRequest(`dryRun: Unsupported value: "${dryRun.find((d) => d !== 'All')}": supported values: "All"`);
  const manager = managerOf(request);
  if (manager.length > 128) {
    throw invalid('meta.k8s.io', 'PatchOptions', '', [{ type: 'FieldValueTooLong', field: 'fieldManager', value: manager, detail: 'may not be longer than 128' }]);
  }
  const subresource = target.subresource === 'status' || target.subresource === 'scale' ? target.subresource : undefined;
  const writer: Writer = { manager, apiVersion: groupVersion(target.type), time: ctx.now(), ...(subresource ? { subresource } : {}) };
  return { writer, fieldValidation: parseFieldValidation(request.query.get('fieldValidation')), dryRun: dryRun.length > 0 };
}

function warningHeaders(warnings: string[]): Record<string, string> {
  return warnings.length > 0 ? { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') } : {};
}

/** Stores a prepared write (unless dry run), finishing deletes whose last finalizer went, and answers. */
export function commit(ctx: ApiContext, target: ResourceTarget, prepared: PreparedWrite, created: boolean, dryRun: boolean, status = created ? 201 : 200): ApiResponse {
  const { type } = target;
  let object = prepared.object;
  if (!dryRun && prepared.changed) {
    object = ctx.store.put(resourceKey(type), object);
    if (object.metadata.deletionTimestamp && (object.metadata.finalizers ?? []).length === 0 && type.kind !== 'Namespace') {
      object = deleteObject(ctx, type, object).object;
    } else afterStore(ctx, type, object, created);
  }
  const body = target.subresource === 'scale' ? toScale(object) : served(type, object);
  return { status, body, headers: warningHeaders(prepared.warnings) };
}

/** POST: create. */
export function handleCreate(ctx: ApiContext, target: ResourceTarget, body: unknown, request: WriteRequest): ApiResponse {
  const { type, namespace } = target;
  if (target.name !== undefined) throw resourceNotFound();
  const options = writeOptionsOf(ctx, target, request);
  const name = isRecord(body) && isRecord(body['metadata']) ? String(body['metadata']['name'] ?? '') : '';
  ctx.requireNamespace(type, namespace, name, true);
  const prepared = prepareCreate(ctx, type, namespace, body, options);
  if (ctx.store.get(resourceKey(type), namespace, prepared.object.metadata.name)) throw alreadyExists(type, prepared.object.metadata.name);
  return commit(ctx, target, prepared, true, options.dryRun);
}

/** PUT: update (of the object, its `/status`, or its `/scale`). */
export function handleUpdate(ctx: ApiContext, target: ResourceTarget, body: unknown, request: WriteRequest): ApiResponse {
  const { type, namespace, name } = target;
  const options = writeOptionsOf(ctx, target, request);
  const before = ctx.getOrNotFound(type, namespace, name!);
  if (target.subresource === 'scale') return commit(ctx, target, scaleUpdate(ctx, target, before, body, options), false, options.dryRun);
  return commit(ctx, target, prepareUpdate(type, before, body, options, ctx), false, options.dryRun);
}

/** Writes a Scale into its Deployment: only `spec.replicas` changes; a stale resourceVersion conflicts. */
export function scaleUpdate(ctx: ApiContext, target: ResourceTarget, before: KubeObject, scale: unknown, options: WriteOptions): PreparedWrite {
  if (!isRecord(scale) || !isRecord(scale['spec'])) throw badRequest('the object provided is unrecognized (must be of type Scale)');
  const meta = isRecord(scale['metadata']) ? scale['metadata'] : {};
  if (meta['resourceVersion'] && meta['resourceVersion'] !== before.metadata.resourceVersion) {
    throw conflict(target.type, before.metadata.name, 'the object has been modified; please apply your changes to the latest version and try again');
  }
  const replicas = scale['spec']['replicas'];
  const next = structuredClone(before);
  next['spec'] = { ...(isRecord(next['spec']) ? next['spec'] : {}), replicas };
  delete next.metadata.resourceVersion;
  return prepareUpdate(target.type, before, next, options, ctx);
}

/** DELETE of one object, with `preconditions` and `dryRun`. */
export function handleDelete(ctx: ApiContext, target: ResourceTarget, body: unknown, request: WriteRequest): ApiResponse {
  const { type, namespace, name } = target;
  if (target.subresource !== undefined) throw resourceNotFound();
  const dryRun = request.query.getAll('dryRun').length > 0;
  const before = ctx.getOrNotFound(type, namespace, name!);
  const preconditions = isRecord(body) && isRecord(body['preconditions']) ? body['preconditions'] : {};
  if (preconditions['uid'] && preconditions['uid'] !== before.metadata.uid) {
    throw conflict(type, name!, `Precondition failed: UID in precondition: ${String(preconditions['uid'])}, UID in object meta: ${before.metadata.uid}`);
  }
  if (preconditions['resourceVersion'] && preconditions['resourceVersion'] !== before.metadata.resourceVersion) {
    throw conflict(type, name!, `Precondition failed: ResourceVersion in precondition: ${String(preconditions['resourceVersion'])}, ResourceVersion in object meta: ${before.metadata.resourceVersion}`);
  }
  if (dryRun) return { status: 200, body: type.deleteReturnsObject ? served(type, before) : deleteSuccess(type, name!, before.metadata.uid!) };
  const { object, gone } = deleteObject(ctx, type, before);
  if (!gone || type.deleteReturnsObject) return { status: 200, body: served(type, object) };
  return { status: 200, body: deleteSuccess(type, name!, before.metadata.uid!) };
}

/** DELETE of a collection (selectors apply): answers with the list of what was deleted. */
export function handleDeleteCollection(ctx: ApiContext, target: ResourceTarget, matches: (o: KubeObject) => boolean): ApiResponse {
  const { type, namespace } = target;
  if (!type.verbs.includes('deletecollection')) throw methodNotAllowed();
  const items = ctx.store.list(resourceKey(type), namespace || undefined).filter(matches).map((o) => deleteObject(ctx, type, structuredClone(o)).object);
  return { status: 200, body: { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata: { resourceVersion: String(ctx.store.currentRevision) }, items } };
}
