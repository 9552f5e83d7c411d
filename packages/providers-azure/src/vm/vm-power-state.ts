import type { RegionRunState } from '@meridian/core';

/** The codes of an instance view's statuses (`PowerState/running`, `ProvisioningState/succeeded`). */
export interface InstanceViewLike {
  statuses?: Array<{ code?: string }>;
}

/** The power and provisioning states of an instance view, lower-case. */
export function readInstanceView(view: InstanceViewLike | undefined): { power?: string; provisioning?: string } {
  const codes = (view?.statuses ?? []).map((s) => s.code ?? '');
  const pick = (prefix: string): string | undefined => codes.find((c) => c.startsWith(prefix))?.slice(prefix.length).toLowerCase();
  const power = pick('PowerState/');
  const provisioning = pick('ProvisioningState/');
  return { ...(power ? { power } : {}), ...(provisioning ? { provisioning: provisioning.split('/')[0]! } : {}) };
}

/**
 * The region state of a VM: failed when provisioning failed, starting while
 * it is being created or started, running once it runs and provisioning
 * succeeded, stopped when stopped or deallocated (or on the way there).
 */
export function runStateOf(view: InstanceViewLike | undefined): RegionRunState {
  const { power, provisioning } = readInstanceView(view);
  if (provisioning === 'failed') return 'failed';
  if (power === 'stopped' || power === 'deallocated' || power === 'stopping' || power === 'deallocating') return 'stopped';
  if (power === 'running' && (provisioning === undefined || provisioning === 'succeeded')) return 'running';
  return 'starting';
}
