import { ArmError, invalidParameter, invalidReference } from '../arm-error.js';
import { knownVmSizes } from '../locations.js';
import { live, objectOf, refId, type KindContext, type ResourceKind } from '../resource-kind.js';
import type { StoredResource } from '../resource-store.js';
import { NIC } from './network-resources.js';

export const VM = 'Microsoft.Compute/virtualMachines';

const RESERVED_USERNAMES = new Set(['admin', 'administrator', 'root', 'guest', 'user', 'test', 'sys', 'a']);

const POWER_TEXT: Record<string, string> = {
  starting: 'VM starting', running: 'VM running', stopping: 'VM stopping', stopped: 'VM stopped', deallocating: 'VM deallocating', deallocated: 'VM deallocated',
};

function instanceView(resource: StoredResource): Record<string, unknown> {
  const provisioning = resource.provisioningState;
  const statuses: Record<string, unknown>[] = [
    { code: `ProvisioningState/${provisioning.toLowerCase()}`, level: provisioning === 'Failed' ? 'Error' : 'Info', displayStatus: `Provisioning ${provisioning.toLowerCase()}`, time: new Date(Number(resource.state.changedAt)).toISOString() },
  ];
  const power = provisioning === 'Creating' ? 'starting' : String(resource.state.power);
  if (provisioning !== 'Failed') statuses.push({ code: `PowerState/${power}`, level: 'Info', displayStatus: POWER_TEXT[power] });
  return { computerName: objectOf(resource.properties.osProfile).computerName, osName: 'ubuntu', osVersion: '22.04', statuses };
}

const powerAction = (during: string, after: string) => (_ctx: KindContext, vm: StoredResource) => {
  vm.state.power = during;
  return () => {
    vm.state.power = after;
  };
};

/** `Microsoft.Compute/virtualMachines`: size offered in the location, NICs that exist and are free, an admin account; power state through actions and `instanceView`. */
export const virtualMachineKind: ResourceKind = {
  type: VM,
  nameRule: 'virtualmachine',
  longRunning: true,
  placement: 'regional',
  showsProvisioningState: true,
  prepare(ctx, { id, properties, existing, location }) {
    const size = objectOf(properties.hardwareProfile).vmSize;
    if (typeof size !== 'string' || !size) throw invalidParameter('hardwareProfile.vmSize', "Required parameter 'hardwareProfile.vmSize' is missing (null).");
    if (!knownVmSizes(ctx.locations).has(size.toLowerCase())) {
      throw invalidParameter('vmSize', `The value ${size} provided for the VM size is not valid. The valid sizes in the current region are: ${ctx.locations.find((l) => l.name === location)!.vmSizes.join(',')}.`);
    }
    if (!ctx.locations.find((l) => l.name === location)!.vmSizes.some((s) => s.toLowerCase() === size.toLowerCase())) {
      throw new ArmError(409, 'SkuNotAvailable', `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${size}' is currently not available in location '${location}'. Please try another size or deploy to a different location or different zone. See https://aka.ms/azureskunotavailable for details.`);
    }
    const nics = (Array.isArray(objectOf(properties.networkProfile).networkInterfaces) ? (objectOf(properties.networkProfile).networkInterfaces as unknown[]) : []).map(refId);
    if (nics.length === 0) throw invalidParameter('networkProfile', 'Virtual machine must have at least one network interface.');
    for (const nicId of nics) {
      const nic = live(ctx, nicId, NIC);
      if (!nic) throw invalidReference(nicId ?? '(none)', id);
      if (nic.location !== location) throw new ArmError(400, 'NicNotInVmLocation', `The specified network interface ${nic.id} is in location '${nic.location}' but the virtual machine is in '${location}'.`);
      const other = ctx.store.all().find((r) => r.type === VM && r.id.toLowerCase() !== id.toLowerCase() && JSON.stringify(r.properties).toLowerCase().includes(`"${nic.id.toLowerCase()}"`));
      if (other) throw new ArmError(400, 'NicInUse', `Network Interface ${nic.id} is used by existing resource ${other.id}. In order to use it with ${id}, it must be dissociated from that resource.`);
    }
    const os = objectOf(properties.osProfile);
    if (!existing) {
      if (!os.adminUsername) throw invalidParameter('osProfile.adminUsername', "Required parameter 'osProfile.adminUsername' is missing (null).");
      if (RESERVED_USERNAMES.has(String(os.adminUsername).toLowerCase())) throw invalidParameter('adminUsername', 'The Admin Username specified is not allowed.');
      const keys = objectOf(objectOf(objectOf(os.linuxConfiguration).ssh)).publicKeys;
      if (!os.adminPassword && !(Array.isArray(keys) && keys.length > 0)) throw invalidParameter('adminPassword', "Required parameter 'adminPassword' is missing (null).");
    }
    const { adminPassword: _secret, customData: _customData, ...shownOs } = os;
    const storage = objectOf(properties.storageProfile);
    return {
      properties: {
        ...properties,
        osProfile: existing ? existing.properties.osProfile : { computerName: id.split('/').pop(), ...shownOs },
        storageProfile: { ...storage, osDisk: { osType: 'Linux', createOption: 'FromImage', caching: 'ReadWrite', deleteOption: 'Detach', diskSizeGB: 30, ...objectOf(storage.osDisk) } },
        vmId: existing?.properties.vmId ?? crypto.randomUUID(),
        timeCreated: existing?.properties.timeCreated ?? new Date().toISOString(),
      },
      state: { power: existing?.state.power ?? 'running' },
    };
  },
  view: (_ctx, vm, expand) => (expand?.toLowerCase() === 'instanceview' ? { instanceView: instanceView(vm) } : {}),
  subViews: { instanceview: (_ctx, vm) => instanceView(vm) },
  actions: {
    start: powerAction('starting', 'running'),
    restart: powerAction('starting', 'running'),
    poweroff: powerAction('stopping', 'stopped'),
    deallocate: powerAction('deallocating', 'deallocated'),
  },
};
