import { ArmError, invalidParameter, invalidReference } from '../arm-error.js';
import { live, objectOf, refId, type KindContext, type ResourceKind } from '../resource-kind.js';
import type { StoredResource } from '../resource-store.js';
import { SUBNET } from './virtual-network.js';

export const PUBLIC_IP = 'Microsoft.Network/publicIPAddresses';
export const NSG = 'Microsoft.Network/networkSecurityGroups';
export const NIC = 'Microsoft.Network/networkInterfaces';

const usedBy = (ctx: KindContext, resource: StoredResource, type: string): StoredResource | undefined =>
  ctx.store.all().find((r) => r.type === type && r.provisioningState !== 'Deleting' && JSON.stringify(r.properties).toLowerCase().includes(`"${resource.id.toLowerCase()}"`));

/** `Microsoft.Network/publicIPAddresses`: Basic/Standard SKU (Standard must be Static); the address is assigned at create (from 198.51.100.0/24, TEST-NET-2). */
export const publicIpKind: ResourceKind = {
  type: PUBLIC_IP,
  nameRule: 'network',
  longRunning: true,
  placement: 'regional',
  showsProvisioningState: true,
  prepare(ctx, { id, body, properties, existing, location }) {
    const sku = { name: 'Basic', tier: 'Regional', ...objectOf(body.sku) };
    if (!['Basic', 'Standard'].includes(String(sku.name))) throw invalidParameter('sku.name', `Public IP SKU '${String(sku.name)}' is not valid for ${id}.`);
    const method = String(properties.publicIPAllocationMethod ?? (sku.name === 'Standard' ? 'Static' : 'Dynamic'));
    if (sku.name === 'Standard' && method !== 'Static') {
      throw new ArmError(400, 'StandardSkuPublicIPAddressesCannotBeDynamic', `Standard sku publicIp ${id} must have AllocationMethod set to Static.`);
    }
    const ipAddress = (existing?.properties.ipAddress as string | undefined) ?? ctx.nextIp();
    const label = objectOf(properties.dnsSettings).domainNameLabel;
    if (label !== undefined && !/^[a-z][a-z0-9-]{1,61}[a-z0-9]$/.test(String(label))) {
      throw new ArmError(400, 'InvalidDomainNameLabel', `The domain name label ${String(label)} is invalid. It must conform to the following regular expression: ^[a-z][a-z0-9-]{1,61}[a-z0-9]$.`);
    }
    const dnsSettings = label === undefined ? undefined : { ...objectOf(properties.dnsSettings), fqdn: `${String(label)}.${location}.cloudapp.azure.com` };
    return {
      properties: { publicIPAddressVersion: 'IPv4', idleTimeoutInMinutes: 4, ...properties, ...(dnsSettings ? { dnsSettings } : {}), publicIPAllocationMethod: method, ipAddress, resourceGuid: existing?.properties.resourceGuid ?? crypto.randomUUID() },
      extra: { sku },
    };
  },
  beforeDelete(ctx, ip) {
    const nic = usedBy(ctx, ip, NIC);
    return nic ? new ArmError(400, 'PublicIPAddressInUse', `Cannot delete public IP address ${ip.id} since it is in use by ${nic.id}/ipConfigurations/ipconfig1.`) : undefined;
  },
};

/** `Microsoft.Network/networkSecurityGroups`: security rules with the fields Azure requires. */
export const nsgKind: ResourceKind = {
  type: NSG,
  nameRule: 'network',
  longRunning: true,
  placement: 'regional',
  showsProvisioningState: true,
  prepare(_ctx, { id, properties }) {
    const rules = (Array.isArray(properties.securityRules) ? properties.securityRules : []).map((r) => objectOf(r));
    const priorities = new Set<string>();
    const securityRules = rules.map((rule) => {
      const p = objectOf(rule.properties);
      const where = `${id}/securityRules/${String(rule.name)}`;
      for (const field of ['protocol', 'access', 'direction', 'priority']) if (p[field] === undefined) throw invalidParameter(`properties.securityRules.${field}`, `Security rule ${where} has no ${field}.`);
      const priority = Number(p.priority);
      if (!Number.isInteger(priority) || priority < 100 || priority > 4096) throw new ArmError(400, 'SecurityRuleInvalidPriority', `Security rule ${where} has invalid Priority. Value provided: ${String(p.priority)} Allowed range 100-4096.`);
      const key = `${String(p.direction)}:${priority}`;
      if (priorities.has(key)) throw new ArmError(400, 'SecurityRulesConflictingPriority', `Security rules in ${id} have the same Priority ${priority} and Direction ${String(p.direction)}.`);
      priorities.add(key);
      return { id: where, name: rule.name, type: `${NSG}/securityRules`, properties: { ...p, provisioningState: 'Succeeded' } };
    });
    return { properties: { ...properties, securityRules, resourceGuid: crypto.randomUUID() } };
  },
  beforeDelete(ctx, nsg) {
    const nic = usedBy(ctx, nsg, NIC);
    return nic ? new ArmError(400, 'InUseNetworkSecurityGroupCannotBeDeleted', `Network security group ${nsg.id} cannot be deleted because it is in use by the following resources: ${nic.id}.`) : undefined;
  },
};

/** `Microsoft.Network/networkInterfaces`: IP configurations referencing an existing subnet (and public IP, NSG); private IPs assigned from the subnet. */
export const nicKind: ResourceKind = {
  type: NIC,
  nameRule: 'network',
  longRunning: true,
  placement: 'regional',
  showsProvisioningState: true,
  prepare(ctx, { id, properties, location }) {
    const configs = (Array.isArray(properties.ipConfigurations) ? properties.ipConfigurations : []).map((c) => objectOf(c));
    if (configs.length === 0) throw new ArmError(400, 'NetworkInterfaceMustHaveAtLeastOneIpConfiguration', `Network interface ${id} must have one or more IP configurations.`);
    const ipConfigurations = configs.map((config, index) => {
      const p = objectOf(config.properties);
      const subnetId = refId(p.subnet);
      const subnet = live(ctx, subnetId, SUBNET);
      if (!subnet) throw invalidReference(subnetId ?? '(none)', id);
      const vnet = ctx.store.get(subnet.parentId!)!;
      if (vnet.location !== location) throw new ArmError(400, 'InvalidResourceReference', `Resource ${subnet.id} referenced by resource ${id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`);
      const ipId = refId(p.publicIPAddress);
      if (ipId && !live(ctx, ipId, PUBLIC_IP)) throw invalidReference(ipId, id);
      const base = String(subnet.properties.addressPrefix).split('/')[0]!.split('.').map(Number);
      const privateIPAddress = `${base[0]}.${base[1]}.${base[2]}.${4 + index}`;
      return {
        id: `${id}/ipConfigurations/${String(config.name ?? `ipconfig${index + 1}`)}`,
        name: config.name ?? `ipconfig${index + 1}`,
        type: `${NIC}/ipConfigurations`,
        properties: { privateIPAllocationMethod: 'Dynamic', privateIPAddress, primary: index === 0, privateIPAddressVersion: 'IPv4', ...p, provisioningState: 'Succeeded' },
      };
    });
    const nsgId = refId(properties.networkSecurityGroup);
    if (nsgId && !live(ctx, nsgId, NSG)) throw invalidReference(nsgId, id);
    return { properties: { enableAcceleratedNetworking: false, enableIPForwarding: false, ...properties, ipConfigurations, macAddress: '00-0D-3A-00-00-01', resourceGuid: crypto.randomUUID() } };
  },
  beforeDelete(ctx, nic) {
    const vm = usedBy(ctx, nic, 'Microsoft.Compute/virtualMachines');
    return vm ? new ArmError(400, 'NicInUse', `Network Interface ${nic.id} is used by existing resource ${vm.id}. In order to delete the network interface, it must be dissociated from the resource.`) : undefined;
  },
};
