import { randomUUID } from 'node:crypto';
import type { ArmContext } from './arm-context.js';
import { ArmError, resourceNotFound } from './arm-error.js';
import { requireGroup } from './group-handlers.js';
import { normalizeLocation } from './locations.js';
import { checkName } from './names.js';
import { objectOf, type PutInput, type ResourceKind } from './resource-kind.js';
import type { StoredResource } from './resource-store.js';

/** What a handler answers. */
export interface ArmReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A request for `/subscriptions/{s}/resourceGroups/{g}/providers/{ns}/{type}/{name}[/{childType}/{childName}][/{action}]`. */
export interface ResourceTarget {
  group: string;
  namespace: string;
  /** Type segments after the namespace, and names: [type, name?, childType?, childName?]. */
  typeName: string;
  name?: string;
  childType?: string;
  childName?: string;
  /** A trailing action (POST) or sub-view (GET), e.g. `start`, `instanceView`. */
  action?: string;
}

interface Resolved {
  kind: ResourceKind;
  id: string;
  name?: string;
  parent?: StoredResource;
}

function resolve(ctx: ArmContext, t: ResourceTarget): Resolved {
  requireGroup(ctx, t.group);
  const topType = `${t.namespace}/${t.typeName}`;
  const top = ctx.kindOf(topType);
  if (!top) throw new ArmError(404, 'InvalidResourceType', `The resource type '${t.typeName}' could not be found in the namespace '${t.namespace}' for api version used.`);
  const topId = `/subscriptions/${ctx.subscriptionId}/resourceGroups/${t.group}/providers/${top.type.split('/')[0]}/${top.type.split('/')[1]}`;
  if (t.childType === undefined) return { kind: top, id: t.name ? `${topId}/${t.name}` : topId, name: t.name };
  const kind = ctx.kindOf(`${topType}/${t.childType}`);
  if (!kind) throw new ArmError(404, 'InvalidResourceType', `The resource type '${t.typeName}/${t.childType}' could not be found in the namespace '${t.namespace}' for api version used.`);
  const parent = ctx.store.get(`${topId}/${t.name}`);
  if (!parent || parent.provisioningState === 'Deleting') throw resourceNotFound(top.type, t.name!, t.group);
  const childSegment = kind.type.split('/').pop()!;
  return { kind, id: `${parent.id}/${childSegment}/${t.childName ?? ''}`.replace(/\/$/, ''), name: t.childName, parent };
}

function checkLocation(ctx: ArmContext, kind: ResourceKind, body: Record<string, unknown>, existing: StoredResource | undefined, id: string): string | undefined {
  if (kind.placement === 'child') return undefined;
  if (typeof body.location !== 'string' || !body.location) throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  const location = normalizeLocation(body.location);
  if (kind.placement === 'global') {
    if (location !== 'global') throw new ArmError(400, 'BadRequest', `The resource location '${body.location}' is invalid: ${kind.type} resources must use location 'global'.`);
    return 'global';
  }
  if (!ctx.locations.some((l) => l.name === location)) {
    throw new ArmError(400, 'LocationNotAvailableForResourceType', `The provided location '${body.location}' is not available for resource type '${kind.type}'. List of available regions for the resource type is '${ctx.locations.map((l) => l.name).join(',')}'.`);
  }
  if (existing && existing.location !== location) {
    throw new ArmError(400, 'InvalidResourceLocation', `The resource '${id.split('/').pop()}' already exists in location '${existing.location}' in resource group '${existing.resourceGroup}'. A resource with the same name cannot be created in location '${location}'. Please select a new resource name.`);
  }
  return location;
}

/** PUT: validated, stored as Creating/Updating with an `Azure-AsyncOperation` (201 create, 200 update), or synchronous for Traffic Manager. Idempotent. */
export function handlePut(ctx: ArmContext, t: ResourceTarget, body: Record<string, unknown>, apiVersion: string): ArmReply {
  const { kind, id, name, parent } = resolve(ctx, t);
  if (!name) throw new ArmError(405, 'MethodNotAllowed', 'The requested method PUT is not allowed on a collection.');
  checkName(kind.nameRule, name, kind.type);
  const existing = ctx.store.get(id);
  if (existing?.provisioningState === 'Deleting') throw new ArmError(409, 'AnotherOperationInProgress', `Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: ${id}.`);
  const location = checkLocation(ctx, kind, body, existing, id) ?? parent?.location;
  const failure = !existing && location ? ctx.faults.locationFailure(location, kind.type) : undefined;
  if (failure && (failure.mode ?? 'sync') === 'sync') throw new ArmError(failure.status ?? 409, failure.code, failure.message ?? `Operation could not be completed as it results in exceeding approved quota or capacity in location '${location}'.`);
  const input: PutInput = { id: existing?.id ?? id, name: existing?.name ?? name, resourceGroup: t.group, body, properties: objectOf(body.properties), existing, parent, location };
  const prepared = kind.prepare(ctx, input);
  const resource: StoredResource = {
    id: input.id, type: kind.type, name: input.name, resourceGroup: t.group, parentId: parent?.id,
    ...(kind.placement === 'child' ? {} : { location }),
    tags: (body.tags as Record<string, string> | undefined) ?? undefined,
    properties: prepared.properties, extra: prepared.extra ?? {},
    provisioningState: kind.longRunning ? (existing ? 'Updating' : 'Creating') : 'Succeeded',
    etag: `W/"${randomUUID()}"`,
    state: { ...existing?.state, ...prepared.state, changedAt: ctx.clock.now() },
  };
  ctx.store.put(resource);
  kind.afterPut?.(ctx, resource, input);
  const status = existing ? 200 : 201;
  if (!kind.longRunning) return { status, body: ctx.render(resource) };
  const asyncFailure = failure ? new ArmError(409, failure.code, failure.message ?? `Allocation failed in location '${location}'.`) : undefined;
  const { asyncUrl } = ctx.startOperation(kind.type.split('/')[0]!, location ?? 'global', apiVersion, {
    failure: asyncFailure,
    complete: () => {
      const current = ctx.store.get(resource.id);
      if (current !== resource) return; // replaced by a later PUT or deleted
      resource.provisioningState = asyncFailure ? 'Failed' : 'Succeeded';
      resource.state.changedAt = ctx.clock.now();
      for (const child of ctx.store.children(resource.id)) if (child.provisioningState !== 'Deleting') child.provisioningState = resource.provisioningState;
    },
  });
  return { status, body: ctx.render(resource), headers: { 'Azure-AsyncOperation': asyncUrl } };
}

/** GET of a resource, a collection, or a sub-view (`instanceView`). */
export function handleGet(ctx: ArmContext, t: ResourceTarget, expand: string | undefined): ArmReply {
  // A GET on `.../{name}/{segment}` is a child collection when the segment is a child type, else a sub-view.
  if (t.action && ctx.kindOf(`${t.namespace}/${t.typeName}/${t.action}`)) return handleGet(ctx, { ...t, childType: t.action, action: undefined }, expand);
  const { kind, id, name, parent } = resolve(ctx, t);
  if (!name) {
    const items = parent ? ctx.store.children(parent.id, kind.type) : ctx.store.inGroup(`/subscriptions/${ctx.subscriptionId}/resourceGroups/${t.group}`).filter((r) => r.type === kind.type);
    return { status: 200, body: { value: items.map((r) => ctx.render(r, expand)) } };
  }
  const resource = ctx.store.get(id);
  if (!resource) throw resourceNotFound(kind.type, name, t.group);
  if (t.action) {
    const view = kind.subViews?.[t.action.toLowerCase()];
    if (!view) throw new ArmError(404, 'NotFound', `The path '${t.action}' is not served for ${kind.type}.`);
    return { status: 200, body: view(ctx, resource) };
  }
  return { status: 200, body: ctx.render(resource, expand) };
}

/** DELETE: 202 + `Location`/`Azure-AsyncOperation` then gone (long-running kinds), 200 (Traffic Manager), 204 when it did not exist. */
export function handleDelete(ctx: ArmContext, t: ResourceTarget, apiVersion: string): ArmReply {
  const { kind, id } = resolve(ctx, t);
  const resource = ctx.store.get(id);
  if (!resource) return { status: 204 };
  const refused = kind.beforeDelete?.(ctx, resource);
  if (refused) throw refused;
  const remove = (): void => {
    if (ctx.store.get(resource.id) !== resource) return;
    ctx.store.delete(resource.id);
    kind.afterDelete?.(ctx, resource);
  };
  if (!kind.longRunning) {
    remove();
    return { status: 200 };
  }
  resource.provisioningState = 'Deleting';
  const location = resource.location ?? (resource.parentId ? ctx.store.get(resource.parentId)?.location : undefined) ?? 'global';
  const { asyncUrl, locationUrl } = ctx.startOperation(kind.type.split('/')[0]!, location, apiVersion, { complete: remove });
  return { status: 202, headers: { 'Azure-AsyncOperation': asyncUrl, Location: locationUrl } };
}

/** POST actions (`start`, `deallocate`, `powerOff`, `restart`): 202 + `Location`/`Azure-AsyncOperation`. */
export function handleAction(ctx: ArmContext, t: ResourceTarget, apiVersion: string): ArmReply {
  const { kind, id, name } = resolve(ctx, { ...t, action: undefined });
  const action = kind.actions?.[t.action!.toLowerCase()];
  if (!action) throw new ArmError(404, 'NotFound', `No action '${t.action}' on ${kind.type}.`);
  const resource = ctx.store.get(id);
  if (!resource) throw resourceNotFound(kind.type, name!, t.group);
  if (resource.provisioningState !== 'Succeeded') {
    throw new ArmError(409, 'OperationNotAllowed', `Operation '${t.action}' is not allowed on VM '${resource.name}' since the VM is ${resource.provisioningState.toLowerCase()}.`);
  }
  const done = action(ctx, resource);
  const { asyncUrl, locationUrl } = ctx.startOperation(kind.type.split('/')[0]!, resource.location ?? 'global', apiVersion, { complete: done, resultBody: () => undefined });
  return { status: 202, headers: { 'Azure-AsyncOperation': asyncUrl, Location: locationUrl } };
}

/** PATCH: the body's `properties` and `tags` merged over the stored resource, then validated as a PUT would be. */
export function handlePatch(ctx: ArmContext, t: ResourceTarget, body: Record<string, unknown>, apiVersion: string): ArmReply {
  const { kind, id, name } = resolve(ctx, t);
  const existing = ctx.store.get(id);
  if (!existing || !name) throw resourceNotFound(kind.type, name ?? '', t.group);
  const merged = {
    ...existing.extra,
    ...(existing.location ? { location: existing.location } : {}),
    tags: (body.tags as Record<string, string> | undefined) ?? existing.tags,
    properties: { ...existing.properties, ...objectOf(body.properties) },
  };
  return handlePut(ctx, t, merged, apiVersion);
}
