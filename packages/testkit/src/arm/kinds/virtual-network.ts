import { ArmError, invalidParameter, invalidReference } from '../arm-error.js';
import { contains, firstOverlap, overlaps, parsePrefix, type Ipv4Range } from '../address-space.js';
import { live, objectOf, refId, type KindContext, type ResourceKind } from '../resource-kind.js';
import type { StoredResource } from '../resource-store.js';

export const VNET = 'Microsoft.Network/virtualNetworks';
export const SUBNET = 'Microsoft.Network/virtualNetworks/subnets';
export const PEERING = 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings';

/** The parsed address space of a stored VNet. */
export function vnetRanges(vnet: StoredResource): Ipv4Range[] {
  const prefixes = objectOf(vnet.properties.addressSpace).addressPrefixes as string[];
  return prefixes.map((p) => parsePrefix(p, vnet.id));
}

function checkSubnet(vnetId: string, ranges: Ipv4Range[], name: string, properties: Record<string, unknown>, siblings: { name: string; range: Ipv4Range }[]): Ipv4Range {
  const subnetId = `${vnetId}/subnets/${name}`;
  if (properties.addressPrefix === undefined) throw new ArmError(400, 'NetcfgInvalidSubnet', `Subnet '${name}' is not valid in virtual network '${vnetId.split('/').pop()}'. An address prefix is required.`);
  const range = parsePrefix(properties.addressPrefix, subnetId);
  if (!ranges.some((r) => contains(r, range))) {
    throw new ArmError(400, 'NetcfgSubnetRangeOutsideVnet', `Subnet '${name}' is not valid because its IP address range is outside the IP address range of virtual network '${vnetId.split('/').pop()}'.`);
  }
  const clash = siblings.find((s) => s.name.toLowerCase() !== name.toLowerCase() && overlaps(s.range, range));
  if (clash) throw new ArmError(400, 'NetcfgSubnetRangesOverlap', `Subnet '${name}' is not valid because its IP address range overlaps with that of an existing subnet '${clash.name}' in virtual network '${vnetId.split('/').pop()}'.`);
  return range;
}

const subnetInUse = (ctx: KindContext, subnet: StoredResource): ArmError | undefined => {
  const user = ctx.store.all().find((r) => r.type === 'Microsoft.Network/networkInterfaces' && JSON.stringify(r.properties).toLowerCase().includes(`"${subnet.id.toLowerCase()}"`));
  return user
    ? new ArmError(400, 'InUseSubnetCannotBeDeleted', `Subnet ${subnet.name} is in use by ${user.id}/ipConfigurations/ipconfig1 and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet.`)
    : undefined;
};

/** `Microsoft.Network/virtualNetworks`: address space, inline subnets (a PUT replaces the subnet set, as Azure's does), peerings shown inline. */
export const virtualNetworkKind: ResourceKind = {
  type: VNET,
  nameRule: 'network',
  longRunning: true,
  placement: 'regional',
  showsProvisioningState: true,
  prepare(ctx, { id, properties, existing }) {
    const prefixes = objectOf(properties.addressSpace).addressPrefixes;
    if (!Array.isArray(prefixes) || prefixes.length === 0) throw invalidParameter('properties.addressSpace', `Virtual network ${id} must have at least one address prefix in its address space.`);
    const ranges = prefixes.map((p) => parsePrefix(p, id));
    const subnets = (Array.isArray(properties.subnets) ? properties.subnets : []).map((s) => objectOf(s));
    const checked: { name: string; range: Ipv4Range }[] = [];
    for (const subnet of subnets) {
      const name = String(subnet.name ?? '');
      if (!name) throw invalidParameter('properties.subnets.name', 'Subnet name is required.');
      checked.push({ name, range: checkSubnet(id, ranges, name, objectOf(subnet.properties), checked) });
    }
    if (existing) {
      const kept = new Set(subnets.map((s) => String(s.name).toLowerCase()));
      for (const old of ctx.store.children(existing.id, SUBNET)) {
        if (!kept.has(old.name.toLowerCase())) {
          const inUse = subnetInUse(ctx, old);
          if (inUse) throw inUse;
        }
      }
    }
    const { subnets: _subnets, virtualNetworkPeerings: _peerings, ...rest } = properties;
    return { properties: { ...rest, addressSpace: { addressPrefixes: prefixes }, resourceGuid: existing?.properties.resourceGuid ?? crypto.randomUUID() } };
  },
  afterPut(ctx, vnet, { properties }) {
    const subnets = (Array.isArray(properties.subnets) ? properties.subnets : []).map((s) => objectOf(s));
    const wanted = new Map(subnets.map((s) => [String(s.name).toLowerCase(), s]));
    for (const old of ctx.store.children(vnet.id, SUBNET)) if (!wanted.has(old.name.toLowerCase())) ctx.store.delete(old.id);
    for (const subnet of subnets) {
      const name = String(subnet.name);
      const { provisioningState: _p, ...subnetProperties } = objectOf(subnet.properties);
      ctx.store.put({
        id: `${vnet.id}/subnets/${name}`, type: SUBNET, name, resourceGroup: vnet.resourceGroup, parentId: vnet.id,
        properties: subnetProperties, extra: {}, provisioningState: vnet.provisioningState, etag: vnet.etag, state: {},
      });
    }
  },
  view: (ctx, vnet) => ({
    subnets: ctx.store.children(vnet.id, SUBNET).map((s) => ctx.render(s)),
    virtualNetworkPeerings: ctx.store.children(vnet.id, PEERING).map((p) => ctx.render(p)),
  }),
};

/** `.../virtualNetworks/{vnet}/subnets/{name}`: inside the VNet's space, not overlapping its siblings; refused while a NIC uses it. */
export const subnetKind: ResourceKind = {
  type: SUBNET,
  nameRule: 'network',
  longRunning: true,
  placement: 'child',
  showsProvisioningState: true,
  prepare(ctx, { name, parent, properties }) {
    const siblings = ctx.store.children(parent!.id, SUBNET).map((s) => ({ name: s.name, range: parsePrefix(s.properties.addressPrefix, s.id) }));
    checkSubnet(parent!.id, vnetRanges(parent!), name, properties, siblings);
    return { properties: { ...properties } };
  },
  beforeDelete: subnetInUse,
};

const peeringBack = (ctx: KindContext, peering: StoredResource): StoredResource | undefined => {
  const remote = live(ctx, refId(peering.properties.remoteVirtualNetwork), VNET);
  return remote ? ctx.store.children(remote.id, PEERING).find((p) => refId(p.properties.remoteVirtualNetwork)?.toLowerCase() === peering.parentId!.toLowerCase()) : undefined;
};

/** `.../virtualNetworks/{vnet}/virtualNetworkPeerings/{name}`: overlap refused; Initiated until the other side exists, then Connected on both; Disconnected when one side goes. */
export const peeringKind: ResourceKind = {
  type: PEERING,
  nameRule: 'network',
  longRunning: true,
  placement: 'child',
  showsProvisioningState: true,
  prepare(ctx, { id, parent, properties }) {
    const remoteId = refId(properties.remoteVirtualNetwork);
    if (!remoteId) throw invalidParameter('properties.remoteVirtualNetwork', `Peering ${id} must reference a remote virtual network.`);
    const remote = live(ctx, remoteId, VNET);
    if (!remote) throw invalidReference(remoteId, id);
    if (remote.id.toLowerCase() === parent!.id.toLowerCase()) throw new ArmError(400, 'CannotPeerVnetWithItself', `Virtual network ${parent!.id} cannot be peered with itself.`);
    const clash = firstOverlap(vnetRanges(parent!), vnetRanges(remote));
    if (clash) {
      throw new ArmError(400, 'VnetAddressSpacesOverlap', `Cannot create or update peering ${id}. Virtual networks ${parent!.id} and ${remote.id} cannot be peered because their address spaces overlap. Overlapping address prefixes: ${clash[0].prefix}, ${clash[1].prefix}`);
    }
    return {
      properties: {
        allowVirtualNetworkAccess: true, allowForwardedTraffic: false, allowGatewayTransit: false, useRemoteGateways: false,
        ...properties,
        remoteVirtualNetwork: { id: remote.id },
        remoteAddressSpace: remote.properties.addressSpace,
      },
    };
  },
  afterPut(ctx, peering) {
    const back = peeringBack(ctx, peering);
    if (back) {
      back.state.everConnected = true;
      peering.state.everConnected = true;
    }
  },
  view(ctx, peering) {
    const connected = peeringBack(ctx, peering) !== undefined;
    const peeringState = connected ? 'Connected' : peering.state.everConnected ? 'Disconnected' : 'Initiated';
    return { peeringState, peeringSyncLevel: connected ? 'FullyInSync' : 'RemoteNotInSync' };
  },
};
