import {
  MeridianError,
  type DeployOptions,
  type DeploySpec,
  type ProviderCallOptions,
  type RegionPrice,
  type RegionProvider,
  type RegionStatus,
  type TrafficWeights,
} from '@meridian/core';
import { FencingGate, invalidConfig, parseOptions, throwIfAborted, validateTrafficWeights } from '@meridian/core/spi';
import PQueue from 'p-queue';
import { planAddressSpaces, subnetOf } from './address-plan.js';
import { createArmClients, type ArmClients } from './arm-clients.js';
import { armError, isNotFound } from './arm-errors.js';
import { azureProviderOptionsSchema, type AzureProviderOptions, type ResolvedAzureProviderOptions } from './azure-provider-options.js';
import { checkWorkload, renderCloudInit } from './cloud-init.js';
import { deployRegion, type AzureDeployedRegion, type RegionDeployContext } from './deploy-region.js';
import { DEFAULT_IMAGE, resourceNames, TAG_APP, TAG_REGION, type RegionTarget } from './region-target.js';
import { throwawaySshPublicKey } from './throwaway-ssh-key.js';
import { ensureProfile, planEndpoints, writeEndpoints } from './traffic-manager.js';
import { readInstanceView, runStateOf } from './vm-power-state.js';
import { peerVnets } from './vnet-peering.js';

/** Result of {@link AzureProvider.deploy}: core's result with the ARM resources per region. */
export interface AzureDeployResult {
  /** One entry per region of the spec. */
  regions: AzureDeployedRegion[];
}

const APP_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;

/**
 * A `RegionProvider` on Azure VMs: one resource group per region with a VNet,
 * NSG, public IP, NIC and a VM running the app through cloud-init, all
 * regions in parallel; traffic through Traffic Manager endpoints. Built on the
 * official `@azure/arm-*` clients. Create it with {@link createAzureProvider}.
 */
export class AzureProvider implements RegionProvider {
  /** Provider name, matching `Region.provider`. */
  readonly name = 'azure';
  readonly #options: ResolvedAzureProviderOptions;
  readonly #clients: ArmClients;
  readonly #targets = new Map<string, RegionTarget>();
  readonly #sshKey: string;
  // The app last deployed per region (status and setTraffic look at it first) and its port.
  readonly #apps = new Map<string, { name: string; port: number; vnetId?: string | undefined }>();
  // Peering runs one deploy at a time: deploys of single regions in parallel (as MultiRegionDeployer does) must not PUT the same peerings at once.
  #peering: Promise<unknown> = Promise.resolve();
  readonly #fencing = new FencingGate();
  #weights: TrafficWeights | undefined;

  /** @internal Use {@link createAzureProvider}. */
  constructor(options: AzureProviderOptions) {
    const o = parseOptions(azureProviderOptionsSchema, options, 'Azure provider options');
    this.#options = o;
    const spaces = planAddressSpaces(o.regions);
    for (const [id, r] of Object.entries(o.regions)) {
      this.#targets.set(id, {
        id,
        location: r.location,
        vmSize: r.vmSize,
        addressSpace: spaces[id]!,
        subnetPrefix: subnetOf(spaces[id]!),
        image: { ...DEFAULT_IMAGE, ...(o.image ?? {}), ...(r.image ?? {}) } as RegionTarget['image'],
        resourceGroup: `${o.resourceGroupPrefix}-${id}`,
        timezone: r.timezone,
        locale: r.locale,
      });
    }
    this.#sshKey = o.adminSshPublicKey ?? throwawaySshPublicKey();
    this.#clients = createArmClients(o.credential, o.subscriptionId, o.endpoint, o.clientOptions);
  }

  /** The configured region ids. */
  regionIds(): string[] {
    return [...this.#targets.keys()];
  }

  /** The VNet address space of each region (given or planned). */
  addressSpaces(): Record<string, string> {
    return Object.fromEntries([...this.#targets].map(([id, t]) => [id, t.addressSpace]));
  }

  /** The cloud-init (`#cloud-config`) each region's VM would get for `spec`, without contacting Azure. */
  renderCloudInit(spec: DeploySpec): Record<string, string> {
    const workload = this.#checkSpec(spec);
    return Object.fromEntries(
      this.#known(spec.regions).map((t) => [t.id, renderCloudInit(spec, workload, { regionId: t.id, port: workload.port ?? this.#options.port, timezone: t.timezone, locale: t.locale })]),
    );
  }

  /**
   * Creates each region's resource group, VNet, NSG, public IP, NIC and VM,
   * all regions in parallel (up to `concurrency`), then (with `peering`) peers
   * their VNets in a full mesh. A failing region comes back `failed` with a
   * coded message and the resources it left; the others go on.
   */
  async deploy(spec: DeploySpec, options: DeployOptions = {}): Promise<AzureDeployResult> {
    throwIfAborted(options.signal, 'deploy');
    const workload = this.#checkSpec(spec);
    const targets = this.#known(spec.regions);
    const o = this.#options;
    const context: RegionDeployContext = {
      clients: this.#clients,
      subscriptionId: o.subscriptionId,
      port: o.port,
      adminUsername: o.adminUsername,
      resourceGroupPrefix: o.resourceGroupPrefix,
      adminSshPublicKey: this.#sshKey,
      sshSourcePrefix: o.sshSourcePrefix,
      pollIntervalMillis: o.pollIntervalMillis,
    };
    const targetsWithSize = targets.map((t) => ({ ...t, vmSize: spec.overrides?.[t.id]?.size ?? t.vmSize }));
    const queue = new PQueue({ concurrency: o.concurrency ?? targets.length });
    const regions = await Promise.all(targetsWithSize.map((t) => queue.add(() => deployRegion(context, t, spec, workload, options))));
    for (const r of regions) if (r.resources.length > 0) this.#apps.set(r.regionId, { name: spec.name, port: workload.port ?? o.port, vnetId: r.vnetId });
    if (o.peering) {
      const done = this.#peering.then(() => this.#peer(spec.name, regions, options));
      this.#peering = done.catch(() => undefined);
      await done;
    }
    throwIfAborted(options.signal, 'deploy');
    return { regions: regions.map(({ vnetId: _vnet, ...r }) => r) };
  }

  /** The region's state from its VM's instance view (power and provisioning state). */
  async status(regionId: string, options: ProviderCallOptions = {}): Promise<RegionStatus> {
    const target = this.#target(regionId);
    throwIfAborted(options.signal, 'status');
    const rg = target.resourceGroup;
    const vm = await this.#findVm(target, options.signal);
    if (!vm) return { regionId, state: 'not-deployed', details: { resourceGroup: rg, location: target.location } };
    const app = vm.tags?.[TAG_APP] ?? '';
    try {
      const view = await this.#clients.compute.virtualMachines.instanceView(rg, vm.name, { abortSignal: options.signal });
      const { power, provisioning } = readInstanceView(view);
      const ip = await this.#clients.network.publicIPAddresses.get(rg, resourceNames(app).publicIp, { abortSignal: options.signal }).catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      });
      const port = this.#apps.get(regionId)?.port ?? this.#options.port;
      return {
        regionId,
        state: runStateOf(view),
        ...(ip?.ipAddress ? { endpoint: `http://${ip.ipAddress}:${port}` } : {}),
        details: { resourceGroup: rg, location: target.location, vmName: vm.name, vmSize: vm.hardwareProfile?.vmSize, powerState: power, provisioningState: provisioning, fqdn: ip?.dnsSettings?.fqdn },
      };
    } catch (error) {
      throw armError(error, regionId, 'read VM instance view');
    }
  }

  /** Deletes the regions' resource groups (all configured regions when omitted) and their Traffic Manager endpoints. */
  async destroy(regionIds?: string[], options: ProviderCallOptions = {}): Promise<void> {
    throwIfAborted(options.signal, 'destroy');
    const targets = this.#known(regionIds ?? this.regionIds());
    const lro = { abortSignal: options.signal, ...(this.#options.pollIntervalMillis ? { updateIntervalInMs: this.#options.pollIntervalMillis } : {}) };
    const tm = this.#options.trafficManager;
    const outcomes = await Promise.allSettled(
      targets.map(async (t) => {
        if (tm) {
          await this.#clients.trafficManager.endpoints.delete(tm.resourceGroup, tm.profileName, 'AzureEndpoints', t.id, { abortSignal: options.signal }).catch((error: unknown) => {
            if (!isNotFound(error)) throw armError(error, t.id, 'delete Traffic Manager endpoint');
          });
        }
        try {
          await this.#clients.resources.resourceGroups.beginDeleteAndWait(t.resourceGroup, lro);
        } catch (error) {
          if (!isNotFound(error)) throw armError(error, t.id, `delete resource group ${t.resourceGroup}`);
        }
        this.#apps.delete(t.id);
      }),
    );
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as MeridianError] : []));
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new MeridianError(failures[0]!.code, `destroy failed in ${failures.length} regions: ${failures.map((f) => f.message).join('; ')}`, { cause: failures[0] });
  }

  /**
   * Sets the Traffic Manager endpoint of every configured region (regions
   * left out get 0): Weighted routing gets the weights scaled to 1..1000,
   * Priority routing priorities by weight; 0 disables the endpoint. With a
   * `fencingToken`, a token lower than the highest seen is refused with LEASE_LOST.
   */
  async setTraffic(weights: TrafficWeights, options: ProviderCallOptions = {}): Promise<void> {
    throwIfAborted(options.signal, 'setTraffic');
    const valid = validateTrafficWeights(weights, this.regionIds());
    const token = options.fencingToken;
    this.#fencing.check(token);
    const tm = this.#options.trafficManager;
    if (!tm) throw invalidConfig('Azure provider options', [{ path: 'trafficManager', message: 'setTraffic needs the `trafficManager` option (the profile whose endpoints it sets)', value: 'undefined' }]);
    const full = Object.fromEntries(this.regionIds().map((id) => [id, valid[id] ?? 0]));
    const targets: Record<string, string> = {};
    await Promise.all(
      this.regionIds().map(async (id) => {
        const ipId = await this.#publicIpId(this.#targets.get(id)!, options.signal);
        if (ipId) targets[id] = ipId;
        else if (full[id]! > 0) throw new MeridianError('REGION_UNAVAILABLE', `setTraffic: region "${id}" has weight ${full[id]} but is not deployed (no public IP)`, { details: { regionId: id } });
      }),
    );
    const first = this.#targets.values().next().value!;
    await ensureProfile(this.#clients, tm, tm.location ?? first.location, this.#options.port, options.signal);
    await writeEndpoints(this.#clients, tm, planEndpoints(full, targets, this.regionIds()), options.signal);
    this.#fencing.accept(token);
    this.#weights = full;
  }

  /** The weights of the last successful `setTraffic`, or undefined before one. */
  traffic(): TrafficWeights | undefined {
    return this.#weights ? { ...this.#weights } : undefined;
  }

  /** Linux pay-as-you-go hourly price of each region's VM size, from the `pricesClient` (none without one). */
  async prices(options: ProviderCallOptions = {}): Promise<RegionPrice[]> {
    throwIfAborted(options.signal, 'prices');
    const client = this.#options.pricesClient;
    if (!client) return [];
    const found = await Promise.all(
      [...this.#targets.values()].map(async (t): Promise<RegionPrice | undefined> => {
        try {
          const price = await client.vmHourlyPrice({ region: t.location, size: t.vmSize, ...(options.signal ? { signal: options.signal } : {}) });
          return { regionId: t.id, hourly: price.hourly, currency: price.currency, sku: price.sku };
        } catch (error) {
          // A size without a Linux pay-as-you-go price in that region: the provider does not know it.
          if (MeridianError.hasCode(error, 'NO_ELIGIBLE_REGION')) return undefined;
          if (MeridianError.isInstance(error)) throw new MeridianError(error.code, `region "${t.id}": ${error.message}`, { cause: error, details: { ...error.details, regionId: t.id } });
          throw error;
        }
      }),
    );
    return found.filter((p): p is RegionPrice => p !== undefined);
  }

  // Peers the regions just deployed with each other and with every region this provider deployed the app to before,
  // so a deployment one region at a time ends in the same full mesh as one of all regions at once.
  async #peer(app: string, regions: AzureDeployedRegion[], options: DeployOptions): Promise<void> {
    const fresh = regions.flatMap((r) => (r.vnetId ? [{ regionId: r.regionId, resourceGroup: this.#targets.get(r.regionId)!.resourceGroup, vnetName: resourceNames(app).vnet, vnetId: r.vnetId }] : []));
    const earlier = [...this.#apps]
      .filter(([id, a]) => a.name === app && a.vnetId && !fresh.some((f) => f.regionId === id))
      .map(([id, a]) => ({ regionId: id, resourceGroup: this.#targets.get(id)!.resourceGroup, vnetName: resourceNames(app).vnet, vnetId: a.vnetId! }));
    const vnets = [...fresh, ...earlier];
    if (fresh.length === 0 || vnets.length < 2) return;
    const outcomes = await peerVnets(this.#clients, vnets, { ...options, pollIntervalMillis: this.#options.pollIntervalMillis, onlyWith: new Set(fresh.map((f) => f.regionId)) });
    for (const outcome of outcomes) {
      // An earlier region's new peerings belong to no region of this deploy's result.
      const region = regions.find((r) => r.regionId === outcome.regionId);
      if (!region) continue;
      region.resources.push(...outcome.peerings);
      if (outcome.error && region.state !== 'failed') {
        region.state = 'failed';
        region.error = outcome.error;
      }
    }
  }

  async #findVm(target: RegionTarget, signal: AbortSignal | undefined): Promise<{ name: string; tags?: Record<string, string>; hardwareProfile?: { vmSize?: string } } | undefined> {
    const vms: Array<{ name: string; tags?: Record<string, string>; hardwareProfile?: { vmSize?: string } }> = [];
    try {
      for await (const vm of this.#clients.compute.virtualMachines.list(target.resourceGroup, { abortSignal: signal })) {
        if (vm.name && vm.tags?.[TAG_REGION] === target.id) vms.push({ name: vm.name, ...(vm.tags ? { tags: vm.tags } : {}), ...(vm.hardwareProfile ? { hardwareProfile: vm.hardwareProfile } : {}) });
      }
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw armError(error, target.id, 'list VMs');
    }
    const app = this.#apps.get(target.id)?.name;
    return vms.find((v) => v.tags?.[TAG_APP] === app) ?? vms[0];
  }

  async #publicIpId(target: RegionTarget, signal: AbortSignal | undefined): Promise<string | undefined> {
    const app = this.#apps.get(target.id)?.name ?? (await this.#findVm(target, signal))?.tags?.[TAG_APP];
    if (!app) return undefined;
    try {
      return (await this.#clients.network.publicIPAddresses.get(target.resourceGroup, resourceNames(app).publicIp, { abortSignal: signal })).id;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw armError(error, target.id, 'read public IP');
    }
  }

  #checkSpec(spec: DeploySpec) {
    if (!spec || typeof spec !== 'object' || !Array.isArray(spec.regions) || spec.regions.length === 0) {
      throw invalidConfig('deploy spec', [{ path: 'regions', message: 'must list at least one region', value: JSON.stringify(spec?.regions) }]);
    }
    if (typeof spec.name !== 'string' || !APP_NAME.test(spec.name)) {
      throw invalidConfig('deploy spec', [{ path: 'name', message: 'must be 2-40 lowercase letters, digits and dashes, a letter first (it names Azure resources)', value: JSON.stringify(spec.name) }]);
    }
    this.#known(spec.regions);
    for (const [id, o] of Object.entries(spec.overrides ?? {})) {
      if (o?.replicas !== undefined && o.replicas !== 1) throw invalidConfig('deploy spec', [{ path: `overrides.${id}.replicas`, message: 'the Azure VM provider runs one VM per region', value: String(o.replicas) }]);
    }
    return checkWorkload(spec);
  }

  #target(regionId: string): RegionTarget {
    const target = this.#targets.get(regionId);
    if (!target) throw new MeridianError('REGION_NOT_FOUND', `Unknown region "${regionId}" (known: ${this.regionIds().join(', ')})`, { details: { regionId } });
    return target;
  }

  #known(ids: string[]): RegionTarget[] {
    return [...new Set(ids)].map((id) => this.#target(id));
  }
}

/** Creates an {@link AzureProvider}; options are validated here (INVALID_CONFIG naming the path). */
export function createAzureProvider(options: AzureProviderOptions): AzureProvider {
  return new AzureProvider(options);
}
