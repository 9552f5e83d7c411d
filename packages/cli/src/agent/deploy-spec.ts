import type { DeploySpec, RegionOverride } from '@meridian/core';
import type { MeridianConfig } from '../config/config-schema.js';

/** The deploy spec of `regionIds` from the config: the app's env for all, each region's own settings as overrides. */
export function deploySpec(config: MeridianConfig, regionIds: string[]): DeploySpec {
  const overrides: Record<string, RegionOverride> = {};
  for (const id of regionIds) {
    const r = config.regions.find((region) => region.id === id)!;
    const o: RegionOverride = { replicas: r.replicas };
    if (r.env) o.env = r.env;
    if (r.size) o.size = r.size;
    if (r.timezone) o.timezone = r.timezone;
    if (r.locale) o.locale = r.locale;
    overrides[id] = o;
  }
  return { name: config.app.name, regions: regionIds, env: config.app.env, overrides };
}
