import { randomUUID } from 'node:crypto';
import type { ArmContext } from './arm-context.js';
import { ArmError } from './arm-error.js';
import { normalizeLocation } from './locations.js';
import { checkName } from './names.js';
import type { ArmReply } from './resource-handlers.js';
import type { StoredResource } from './resource-store.js';

export const RESOURCE_GROUP = 'Microsoft.Resources/resourceGroups';

const groupId = (ctx: ArmContext, name: string): string => `/subscriptions/${ctx.subscriptionId}/resourceGroups/${name}`;

const renderGroup = (group: StoredResource): Record<string, unknown> => ({
  id: group.id, name: group.name, type: RESOURCE_GROUP, location: group.location, ...(group.tags ? { tags: group.tags } : {}),
  properties: { provisioningState: group.provisioningState },
});

/** The live resource group, or ARM's 404 `ResourceGroupNotFound`. */
export function requireGroup(ctx: ArmContext, name: string): StoredResource {
  const group = ctx.store.get(groupId(ctx, name));
  if (!group) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
  return group;
}

/** `GET /subscriptions/{id}`. */
export const getSubscription = (ctx: ArmContext): ArmReply => ({
  status: 200,
  body: { id: `/subscriptions/${ctx.subscriptionId}`, subscriptionId: ctx.subscriptionId, tenantId: ctx.tenantId, displayName: 'Fake ARM subscription', state: 'Enabled', subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' }, authorizationSource: 'RoleBased' },
});

/** `GET /subscriptions/{id}/locations`. */
export const listLocations = (ctx: ArmContext): ArmReply => ({
  status: 200,
  body: { value: ctx.locations.map((l) => ({ id: `/subscriptions/${ctx.subscriptionId}/locations/${l.name}`, name: l.name, displayName: l.displayName, regionalDisplayName: `(Europe) ${l.displayName}`, type: 'Region' })) },
});

/** Resource groups: synchronous PUT (201/200), GET, HEAD (204/404), list, and DELETE as a long-running 202 + Location that removes everything inside. */
export function handleGroup(ctx: ArmContext, method: string, name: string | undefined, body: Record<string, unknown>, apiVersion: string): ArmReply {
  if (name === undefined) {
    if (method !== 'GET') throw new ArmError(405, 'MethodNotAllowed', `The requested method ${method} is not allowed.`);
    return { status: 200, body: { value: ctx.store.all().filter((r) => r.type === RESOURCE_GROUP).map(renderGroup) } };
  }
  const id = groupId(ctx, name);
  const existing = ctx.store.get(id);
  switch (method) {
    case 'HEAD':
      return { status: existing ? 204 : 404 };
    case 'GET':
      return { status: 200, body: renderGroup(requireGroup(ctx, name)) };
    case 'PUT': {
      checkName('resourcegroup', name, RESOURCE_GROUP);
      if (existing?.provisioningState === 'Deleting') throw new ArmError(409, 'ResourceGroupBeingDeleted', `The resource group '${name}' is in deprovisioning state and cannot perform this operation.`);
      if (typeof body.location !== 'string' || !body.location) throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
      const location = normalizeLocation(body.location);
      if (!ctx.locations.some((l) => l.name === location)) {
        throw new ArmError(400, 'LocationNotAvailableForResourceGroup', `The provided location '${body.location}' is not available for resource group. List of available regions is '${ctx.locations.map((l) => l.name).join(',')}'.`);
      }
      if (existing && existing.location !== location) throw new ArmError(409, 'InvalidResourceGroupLocation', `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.location}'.`);
      const group: StoredResource = {
        id: existing?.id ?? id, type: RESOURCE_GROUP, name: existing?.name ?? name, resourceGroup: name, location,
        tags: (body.tags as Record<string, string> | undefined) ?? undefined, properties: {}, extra: {}, provisioningState: 'Succeeded', etag: randomUUID(), state: {},
      };
      ctx.store.put(group);
      return { status: existing ? 200 : 201, body: renderGroup(group) };
    }
    case 'DELETE': {
      if (!existing) throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
      existing.provisioningState = 'Deleting';
      const { locationUrl } = ctx.startOperation('Microsoft.Resources', existing.location!, apiVersion, {
        complete: () => {
          for (const resource of ctx.store.inGroup(existing.id)) ctx.store.delete(resource.id);
          ctx.store.delete(existing.id);
        },
      });
      // ARM's group delete: only a Location header, on /subscriptions/{id}/operationresults/{token}.
      const token = new URL(locationUrl).pathname.split('/').pop()!;
      return { status: 202, headers: { Location: `${ctx.baseUrl()}/subscriptions/${ctx.subscriptionId}/operationresults/${token}?api-version=${apiVersion}` } };
    }
    default:
      throw new ArmError(405, 'MethodNotAllowed', `The requested method ${method} is not allowed.`);
  }
}
