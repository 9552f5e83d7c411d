import type { DeploymentReport, Region } from '@meridian/core';
import type { MeridianConfig } from '../../config/config-schema.js';
import { regionOf } from './provider-kind.js';

/** The regions a cloud kind has deployed, with the endpoints their deployments reported. */
export class DeployedRegions {
  readonly #endpoints = new Map<string, string>();

  constructor(private readonly config: MeridianConfig) {}

  /** Takes in a finished deployment: completed regions (with an endpoint) are live. */
  note(report: DeploymentReport): void {
    for (const r of report.regions) {
      if (r.status === 'completed' && r.endpoint) this.#endpoints.set(r.regionId, r.endpoint);
    }
  }

  /** Forgets destroyed regions. */
  remove(regionIds: string[]): void {
    for (const id of regionIds) this.#endpoints.delete(id);
  }

  /** The live regions as core Regions, in config order. */
  regions(): Region[] {
    return this.config.regions.flatMap((r) => {
      const endpoint = this.#endpoints.get(r.id);
      return endpoint ? [regionOf(this.config, r, endpoint)] : [];
    });
  }
}
