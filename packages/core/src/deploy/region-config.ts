import { z } from 'zod';
import type { DeploySpec } from '../contracts/region-provider.js';
import { invalidConfig } from '../config/parse-options.js';
import type { RegionDeployConfig } from './deploy-types.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const overrideSchema = z
  .object({
    env: z.record(z.string().regex(ENV_NAME, 'must be an environment variable name'), z.string()).optional(),
    size: z.string().min(1).max(128).optional(),
    replicas: z.number().int().min(0).max(1000).optional(),
    timezone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone such as "Europe/Dublin"')
      .optional(),
    locale: z
      .string()
      .refine((l) => {
        try {
          return Intl.getCanonicalLocales(l).length === 1;
        } catch {
          return false;
        }
      }, 'must be a BCP 47 locale such as "en-IE"')
      .optional(),
  })
  .strict();

/**
 * Applies a spec's per-region overrides: spec env, then the override's env,
 * then `REGION` (and `TZ`, `LOCALE` when given) that the workload can rely on.
 * Unknown regions in `overrides` and malformed values are `INVALID_CONFIG`
 * naming the path.
 */
export function resolveRegionConfigs(spec: DeploySpec): RegionDeployConfig[] {
  const overrides = (spec.overrides ?? {}) as Record<string, unknown>;
  const issues: Array<{ path: string; message: string; value: string }> = [];
  for (const regionId of Object.keys(overrides)) {
    if (!spec.regions.includes(regionId)) issues.push({ path: `overrides.${regionId}`, message: `not one of the spec's regions (${spec.regions.join(', ')})`, value: JSON.stringify(regionId) });
  }
  for (const [name, value] of Object.entries(spec.env ?? {})) {
    if (!ENV_NAME.test(name) || typeof value !== 'string') issues.push({ path: `env.${name}`, message: 'must be NAME=string', value: JSON.stringify(value) });
  }
  const configs = spec.regions.map((regionId): RegionDeployConfig => {
    const parsed = overrideSchema.safeParse(overrides[regionId] ?? {});
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        issues.push({ path: ['overrides', regionId, ...issue.path.map(String)].join('.'), message: issue.message, value: JSON.stringify(issue.input ?? '') });
      }
      return { regionId, env: {}, replicas: 1 };
    }
    const o = parsed.data;
    const env: Record<string, string> = { ...(spec.env ?? {}), ...(o.env ?? {}), REGION: regionId };
    if (o.timezone) env['TZ'] = o.timezone;
    if (o.locale) env['LOCALE'] = o.locale;
    const config: RegionDeployConfig = { regionId, env, replicas: o.replicas ?? 1 };
    if (o.size) config.size = o.size;
    if (o.timezone) config.timezone = o.timezone;
    if (o.locale) config.locale = o.locale;
    return config;
  });
  if (issues.length > 0) throw invalidConfig('deploy spec', issues);
  return configs;
}
