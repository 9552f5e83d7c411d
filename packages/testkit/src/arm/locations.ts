/** One Azure region the fake offers, with the VM sizes it sells there. */
export interface ArmLocation {
  name: string;
  displayName: string;
  vmSizes: readonly string[];
}

const COMMON = ['Standard_B1s', 'Standard_B2s', 'Standard_D2s_v5', 'Standard_D4s_v5', 'Standard_D2as_v5', 'Standard_F2s_v2'];

/** A small slice of the real region list; sizes as offered at the time of writing (simplified). */
export const DEFAULT_LOCATIONS: readonly ArmLocation[] = [
  { name: 'westeurope', displayName: 'West Europe', vmSizes: [...COMMON, 'Standard_E2s_v5', 'Standard_NC6s_v3'] },
  { name: 'northeurope', displayName: 'North Europe', vmSizes: [...COMMON, 'Standard_E2s_v5'] },
  { name: 'swedencentral', displayName: 'Sweden Central', vmSizes: [...COMMON] },
  { name: 'uksouth', displayName: 'UK South', vmSizes: [...COMMON, 'Standard_E2s_v5'] },
  { name: 'eastus', displayName: 'East US', vmSizes: [...COMMON, 'Standard_E2s_v5', 'Standard_NC6s_v3'] },
  { name: 'eastus2', displayName: 'East US 2', vmSizes: [...COMMON, 'Standard_E2s_v5'] },
  { name: 'westus2', displayName: 'West US 2', vmSizes: [...COMMON, 'Standard_E2s_v5'] },
  { name: 'southeastasia', displayName: 'Southeast Asia', vmSizes: ['Standard_B1s', 'Standard_B2s', 'Standard_D2s_v5', 'Standard_D4s_v5'] },
];

/** Every VM size any location offers: a size outside this set does not exist at all. */
export const knownVmSizes = (locations: readonly ArmLocation[]): Set<string> => new Set(locations.flatMap((l) => l.vmSizes.map((s) => s.toLowerCase())));

/** ARM compares locations without case and spaces (`West Europe` = `westeurope`). */
export const normalizeLocation = (location: string): string => location.replace(/\s+/g, '').toLowerCase();
