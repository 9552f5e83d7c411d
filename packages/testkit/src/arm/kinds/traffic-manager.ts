import { ArmError } from '../arm-error.js';
import { live, objectOf, type KindContext, type ResourceKind } from '../resource-kind.js';
import type { StoredResource } from '../resource-store.js';
import { PUBLIC_IP } from './network-resources.js';

export const PROFILE = 'Microsoft.Network/trafficManagerProfiles';
const ENDPOINT_TYPES = ['azureEndpoints', 'externalEndpoints'] as const;
const ROUTING_METHODS = ['Performance', 'Priority', 'Weighted', 'Geographic', 'MultiValue', 'Subnet'];

const badRequest = (message: string): ArmError => new ArmError(400, 'BadRequest', message);

const endpointsOf = (ctx: KindContext, profileId: string): StoredResource[] =>
  ENDPOINT_TYPES.flatMap((t) => ctx.store.children(profileId, `${PROFILE}/${t}`));

/** Validates one endpoint against its profile and siblings; returns the stored properties. */
function prepareEndpoint(ctx: KindContext, profile: { id: string; properties: Record<string, unknown> }, type: string, name: string, input: Record<string, unknown>, siblings: StoredResource[]): Record<string, unknown> {
  const where = `endpoint '${name}' of profile '${profile.id.split('/').pop()}'`;
  const status = input.endpointStatus ?? 'Enabled';
  if (!['Enabled', 'Disabled'].includes(String(status))) throw badRequest(`The endpoint status '${String(status)}' of ${where} is invalid. Valid values are 'Enabled' and 'Disabled'.`);
  const method = String(profile.properties.trafficRoutingMethod);
  const others = siblings.filter((s) => s.name.toLowerCase() !== name.toLowerCase());
  const weight = input.weight ?? 1;
  if (!Number.isInteger(weight) || (weight as number) < 1 || (weight as number) > 1000) throw badRequest(`The weight of ${where} must be an integer between 1 and 1000.`);
  const priority = input.priority ?? Math.max(0, ...others.map((s) => Number(s.properties.priority))) + 1;
  if (!Number.isInteger(priority) || (priority as number) < 1 || (priority as number) > 1000) throw badRequest(`The priority of ${where} must be an integer between 1 and 1000.`);
  if (method === 'Priority' && others.some((s) => s.properties.priority === priority)) throw badRequest(`The priority value ${String(priority)} of ${where} is already used by another endpoint. Priority values must be unique within a profile.`);
  let target = input.target;
  let endpointLocation = input.endpointLocation;
  if (type === 'azureEndpoints') {
    const ip = live(ctx, input.targetResourceId as string | undefined, PUBLIC_IP);
    if (!ip) throw badRequest(`The referenced resource '${String(input.targetResourceId)}' of ${where} could not be found, or is not a supported Azure resource type.`);
    const fqdn = objectOf(ip.properties.dnsSettings).fqdn;
    if (!fqdn) throw badRequest(`The referenced public IP address '${ip.id}' of ${where} must have a DNS name before it can be used as a Traffic Manager endpoint.`);
    target = fqdn;
    endpointLocation = ip.location;
  } else {
    if (typeof target !== 'string' || !target) throw badRequest(`The target of ${where} is required for an external endpoint.`);
    if (method === 'Performance' && !endpointLocation) throw badRequest(`The endpointLocation of ${where} is required for external endpoints in a profile with Performance traffic routing method.`);
  }
  return { ...input, endpointStatus: status, weight, priority, target, ...(endpointLocation ? { endpointLocation } : {}), alwaysServe: input.alwaysServe ?? 'Disabled' };
}

function endpointKind(type: (typeof ENDPOINT_TYPES)[number]): ResourceKind {
  return {
    type: `${PROFILE}/${type}`,
    nameRule: 'network',
    longRunning: false,
    placement: 'child',
    showsProvisioningState: false,
    prepare: (ctx, { name, parent, properties }) => ({ properties: prepareEndpoint(ctx, parent!, type, name, properties, endpointsOf(ctx, parent!.id)) }),
    view(ctx, endpoint) {
      const profile = ctx.store.get(endpoint.parentId!)!;
      const down = endpoint.properties.endpointStatus === 'Disabled' || profile.properties.profileStatus === 'Disabled';
      const targetGone = type === 'azureEndpoints' && !live(ctx, endpoint.properties.targetResourceId as string, PUBLIC_IP);
      return { endpointMonitorStatus: down ? 'Disabled' : targetGone ? 'Degraded' : 'Online' };
    },
  };
}

export const azureEndpointKind = endpointKind('azureEndpoints');
export const externalEndpointKind = endpointKind('externalEndpoints');

/** `Microsoft.Network/trafficManagerProfiles`: global, synchronous (no LRO), endpoints inline or as child resources (a profile PUT replaces the endpoint set). */
export const trafficManagerProfileKind: ResourceKind = {
  type: PROFILE,
  nameRule: 'trafficmanager',
  longRunning: false,
  placement: 'global',
  showsProvisioningState: false,
  prepare(ctx, { id, properties }) {
    const method = properties.trafficRoutingMethod;
    if (!ROUTING_METHODS.includes(String(method))) throw badRequest(`The traffic routing method '${String(method)}' is invalid. Valid values are: ${ROUTING_METHODS.join(', ')}.`);
    const dns = objectOf(properties.dnsConfig);
    const relativeName = String(dns.relativeName ?? '');
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(relativeName)) throw badRequest(`The relative DNS name '${relativeName}' is invalid: it must be 1-63 letters, digits and hyphens.`);
    const taken = ctx.store.all().find((r) => r.type === PROFILE && r.id.toLowerCase() !== id.toLowerCase() && String(objectOf(r.properties.dnsConfig).relativeName).toLowerCase() === relativeName.toLowerCase());
    if (taken) throw new ArmError(409, 'Conflict', `The domain name '${relativeName}.trafficmanager.net' is already in use. Please choose a different domain name.`);
    const monitor = { protocol: 'HTTP', port: 80, path: '/', intervalInSeconds: 30, timeoutInSeconds: 10, toleratedNumberOfFailures: 3, ...objectOf(properties.monitorConfig) };
    if (!['HTTP', 'HTTPS', 'TCP'].includes(String(monitor.protocol))) throw badRequest(`The monitor protocol '${String(monitor.protocol)}' is invalid. Valid values are HTTP, HTTPS and TCP.`);
    const stored: Record<string, unknown> = { profileStatus: 'Enabled', trafficViewEnrollmentStatus: 'Disabled', ...properties, dnsConfig: { ttl: 60, ...dns, relativeName, fqdn: `${relativeName.toLowerCase()}.trafficmanager.net` }, monitorConfig: monitor };
    const endpoints = (Array.isArray(properties.endpoints) ? properties.endpoints : []).map((e) => objectOf(e));
    const seen: StoredResource[] = [];
    for (const e of endpoints) {
      const type = ENDPOINT_TYPES.find((t) => String(e.type).toLowerCase().endsWith(`/${t.toLowerCase()}`));
      if (!type) throw badRequest(`The endpoint type '${String(e.type)}' of endpoint '${String(e.name)}' is not supported.`);
      const props = prepareEndpoint(ctx, { id, properties: stored }, type, String(e.name), objectOf(e.properties), seen);
      seen.push({ id: `${id}/${type}/${String(e.name)}`, type: `${PROFILE}/${type}`, name: String(e.name), resourceGroup: '', properties: props, extra: {}, provisioningState: 'Succeeded', etag: '', state: {} });
    }
    const { endpoints: _e, ...rest } = stored;
    return { properties: rest, state: { inlineEndpoints: seen } };
  },
  afterPut(ctx, profile) {
    for (const old of endpointsOf(ctx, profile.id)) ctx.store.delete(old.id);
    for (const endpoint of (profile.state.inlineEndpoints as StoredResource[]) ?? []) ctx.store.put({ ...endpoint, resourceGroup: profile.resourceGroup, parentId: profile.id });
    delete profile.state.inlineEndpoints;
  },
  view: (ctx, profile) => ({
    endpoints: endpointsOf(ctx, profile.id).map((e) => ctx.render(e)),
    monitorConfig: { ...objectOf(profile.properties.monitorConfig), profileMonitorStatus: profile.properties.profileStatus === 'Disabled' ? 'Disabled' : endpointsOf(ctx, profile.id).length ? 'Online' : 'Inactive' },
  }),
};
