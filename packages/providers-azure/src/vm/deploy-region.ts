import { MeridianError, type DeployedRegion, type DeployOptions, type DeploySpec } from '@meridian/core';
import type { ArmClients } from './arm-clients.js';
import { reportProgress } from './report-progress.js';
import { armError, isNotFound } from './arm-errors.js';
import { customDataOf, renderCloudInit, type AzureVmWorkload } from './cloud-init.js';
import { resourceNames, TAG_APP, TAG_REGION, type RegionTarget } from './region-target.js';

/** The steps of one region, in order. */
export const DEPLOY_STEPS = ['resource-group', 'vnet', 'nsg', 'public-ip', 'nic', 'vm'] as const;
/** A step of a region's deploy. */
export type DeployStep = (typeof DEPLOY_STEPS)[number];

/** A region as deployed to Azure: what `deploy` returns per region. */
export interface AzureDeployedRegion extends DeployedRegion {
  /** ARM ids of the resources that exist after the deploy (all of them for a failed region too; `destroy` removes them). */
  resources: string[];
  /** The step that failed, for a failed region. */
  failedStep?: DeployStep;
  /** The VNet, for peering. @internal */
  vnetId?: string;
}

/** What deploying one region needs from the provider. */
export interface RegionDeployContext {
  clients: ArmClients;
  subscriptionId: string;
  port: number;
  adminUsername: string;
  resourceGroupPrefix: string;
  adminSshPublicKey: string;
  sshSourcePrefix?: string | undefined;
  pollIntervalMillis?: number | undefined;
}

/**
 * Creates one region's resource group, VNet + subnet, NSG, public IP, NIC and
 * VM (with cloud-init), in order, each LRO awaited. Never throws: a failure
 * comes back `failed` with a coded message naming the region and the ARM
 * code, and the resources that exist (including one left Failed by ARM).
 */
export async function deployRegion(ctx: RegionDeployContext, target: RegionTarget, spec: DeploySpec, workload: AzureVmWorkload, options: DeployOptions): Promise<AzureDeployedRegion> {
  const { clients } = ctx;
  const names = resourceNames(spec.name);
  const rg = target.resourceGroup;
  const tags = { [TAG_APP]: spec.name, [TAG_REGION]: target.id };
  const port = workload.port ?? ctx.port;
  const lro = { abortSignal: options.signal, ...(ctx.pollIntervalMillis ? { updateIntervalInMs: ctx.pollIntervalMillis } : {}) };
  const resources: string[] = [];
  let endpoint = '';
  let vnetId: string | undefined;
  let step: DeployStep = 'resource-group';
  const run = async (s: DeployStep, fn: () => Promise<{ id?: string | undefined }>): Promise<string> => {
    step = s;
    if (options.signal?.aborted) throw new MeridianError('ABORTED', `region "${target.id}": deploy was aborted before step ${s}`, { cause: options.signal.reason });
    reportProgress(options, { regionId: target.id, step: s, status: 'started' });
    const created = await fn();
    const id = created.id ?? '';
    if (id && !resources.some((r) => r.toLowerCase() === id.toLowerCase())) resources.push(id);
    reportProgress(options, { regionId: target.id, step: s, status: 'completed', message: id });
    return id;
  };
  try {
    await run('resource-group', () => clients.resources.resourceGroups.createOrUpdate(rg, { location: target.location, tags }, { abortSignal: options.signal }));
    vnetId = await run('vnet', () =>
      clients.network.virtualNetworks.beginCreateOrUpdateAndWait(
        rg,
        names.vnet,
        { location: target.location, tags, addressSpace: { addressPrefixes: [target.addressSpace] }, subnets: [{ name: names.subnet, addressPrefix: target.subnetPrefix }] },
        lro,
      ),
    );
    const nsgId = await run('nsg', () => clients.network.networkSecurityGroups.beginCreateOrUpdateAndWait(rg, names.nsg, { location: target.location, tags, securityRules: securityRules(port, ctx.sshSourcePrefix) }, lro));
    let ipAddress: string | undefined;
    const ipId = await run('public-ip', async () => {
      const ip = await clients.network.publicIPAddresses.beginCreateOrUpdateAndWait(
        rg,
        names.publicIp,
        {
          location: target.location,
          tags,
          sku: { name: 'Standard' },
          publicIPAllocationMethod: 'Static',
          publicIPAddressVersion: 'IPv4',
          // Traffic Manager's Azure endpoints need a DNS name on the IP.
          dnsSettings: { domainNameLabel: dnsLabel(`${ctx.resourceGroupPrefix}-${spec.name}-${target.id}`) },
        },
        lro,
      );
      ipAddress = ip.ipAddress;
      return ip;
    });
    if (ipAddress) endpoint = `http://${ipAddress}:${port}`;
    const nicId = await run('nic', () =>
      clients.network.networkInterfaces.beginCreateOrUpdateAndWait(
        rg,
        names.nic,
        {
          location: target.location,
          tags,
          networkSecurityGroup: { id: nsgId },
          ipConfigurations: [{ name: 'ipconfig1', subnet: { id: `${vnetId}/subnets/${names.subnet}` }, publicIPAddress: { id: ipId }, privateIPAllocationMethod: 'Dynamic' }],
        },
        lro,
      ),
    );
    const customData = customDataOf(renderCloudInit(spec, workload, { regionId: target.id, port, timezone: target.timezone, locale: target.locale }), target.id);
    await run('vm', () =>
      clients.compute.virtualMachines.createOrUpdate(
        rg,
        names.vm,
        {
          location: target.location,
          tags,
          hardwareProfile: { vmSize: target.vmSize },
          storageProfile: { imageReference: target.image, osDisk: { createOption: 'FromImage', deleteOption: 'Delete', managedDisk: { storageAccountType: 'StandardSSD_LRS' } } },
          osProfile: {
            computerName: names.vm.slice(0, 64),
            adminUsername: ctx.adminUsername,
            customData,
            linuxConfiguration: { disablePasswordAuthentication: true, ssh: { publicKeys: [{ path: `/home/${ctx.adminUsername}/.ssh/authorized_keys`, keyData: ctx.adminSshPublicKey }] } },
          },
          networkProfile: { networkInterfaces: [{ id: nicId, primary: true, deleteOption: 'Delete' }] },
        },
        lro,
      ),
    );
    return { regionId: target.id, endpoint, state: 'running', resources, vnetId };
  } catch (error) {
    const failure = armError(error, target.id, `step ${step}`);
    // ARM keeps a resource whose create was accepted and then failed (provisioningState Failed): report it for cleanup.
    const leftover = await existingResource(ctx, rg, step, names).catch(() => undefined);
    if (leftover && !resources.some((r) => r.toLowerCase() === leftover.toLowerCase())) resources.push(leftover);
    const message = `${failure.code}: ${failure.message}`;
    reportProgress(options, { regionId: target.id, step, status: 'failed', message: resources.length > 0 ? `${message} (left: ${resources.join(', ')})` : message });
    return { regionId: target.id, endpoint, state: 'failed', error: message, resources, failedStep: step, ...(vnetId ? { vnetId } : {}) };
  }
}

/** A public IP DNS label (`^[a-z][a-z0-9-]{1,61}[a-z0-9]$`) made from `text`. */
export function dnsLabel(text: string): string {
  const cleaned = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+/, '').slice(0, 63).replace(/-+$/, '');
  return cleaned.length >= 3 ? cleaned : `m-${cleaned}x`.slice(0, 63);
}

function securityRules(port: number, sshSourcePrefix: string | undefined) {
  const rule = (name: string, priority: number, destinationPortRange: string, sourceAddressPrefix: string) => ({
    name,
    protocol: 'Tcp' as const,
    access: 'Allow' as const,
    direction: 'Inbound' as const,
    priority,
    sourceAddressPrefix,
    sourcePortRange: '*',
    destinationAddressPrefix: '*',
    destinationPortRange,
  });
  return [rule('allow-app', 100, String(port), '*'), ...(sshSourcePrefix ? [rule('allow-ssh', 110, '22', sshSourcePrefix)] : [])];
}

async function existingResource(ctx: RegionDeployContext, rg: string, step: DeployStep, names: ReturnType<typeof resourceNames>): Promise<string | undefined> {
  const { clients } = ctx;
  const get = async (fn: () => Promise<{ id?: string | undefined }>): Promise<string | undefined> => {
    try {
      return (await fn()).id;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
  switch (step) {
    case 'resource-group':
      return get(() => clients.resources.resourceGroups.get(rg));
    case 'vnet':
      return get(() => clients.network.virtualNetworks.get(rg, names.vnet));
    case 'nsg':
      return get(() => clients.network.networkSecurityGroups.get(rg, names.nsg));
    case 'public-ip':
      return get(() => clients.network.publicIPAddresses.get(rg, names.publicIp));
    case 'nic':
      return get(() => clients.network.networkInterfaces.get(rg, names.nic));
    case 'vm':
      return get(() => clients.compute.virtualMachines.get(rg, names.vm));
  }
}
