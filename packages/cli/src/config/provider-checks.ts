import type { z } from 'zod';
import type { ProviderConfig } from './provider-schemas.js';

/** What the cross-checks read of a config (the parsed object, before the whole-config refinements end). */
interface Checked {
  provider: ProviderConfig;
  regions: Array<{ id: string; size?: string | undefined; price?: unknown; replicas: number; dataPath?: string | undefined }>;
  sync: { enabled: boolean };
}

/**
 * Checks between `provider` and the rest of the file, per kind: per-region
 * blocks name configured regions (and every Azure region has one), what a
 * kind cannot do is refused here, at validation, with the reason.
 */
export function checkProviderKind(c: Checked, ctx: z.RefinementCtx): void {
  const p = c.provider;
  if (p.kind === 'local') return;
  const ids = c.regions.map((r) => r.id);
  const known = ids.join(', ');
  for (const id of Object.keys(p.regions)) {
    if (!ids.includes(id)) ctx.addIssue({ code: 'custom', path: ['provider', 'regions', id], message: `not one of the regions (${known})`, input: id });
  }
  if (c.sync.enabled) {
    ctx.addIssue({
      code: 'custom',
      path: ['sync', 'enabled'],
      message: `the ${p.kind} provider has no replica store to sync (sync runs over each region's data API, which only the local provider's regions serve); leave sync off`,
      input: true,
    });
  }
  c.regions.forEach((r, i) => {
    if (r.dataPath !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['regions', i, 'dataPath'],
        message: `directory sync runs between directories this agent can open (provider.kind: local); the ${p.kind} provider's regions keep their files on their own machines, which the agent does not reach`,
        input: r.dataPath,
      });
    }
  });
  if (p.kind === 'kubernetes') {
    for (const [key, region] of [['dns', p.dns.region], ['lease', p.lease.region]] as const) {
      if (region !== undefined && !ids.includes(region)) ctx.addIssue({ code: 'custom', path: ['provider', key, 'region'], message: `not one of the regions (${known})`, input: region });
    }
    return;
  }
  c.regions.forEach((r, i) => {
    if (!(r.id in p.regions)) {
      ctx.addIssue({ code: 'custom', path: ['regions', i, 'id'], message: `needs provider.regions.${r.id} with its Azure location (e.g. { location: westeurope, vmSize: Standard_B2s })`, input: r.id });
    }
    if (r.size !== undefined) ctx.addIssue({ code: 'custom', path: ['regions', i, 'size'], message: `the Azure VM size goes in provider.regions.${r.id}.vmSize`, input: r.size });
    if (r.price !== undefined) ctx.addIssue({ code: 'custom', path: ['regions', i, 'price'], message: 'Azure prices come from the Retail Prices API (provider.pricesUrl); remove the declared price', input: r.price });
    if (r.replicas !== 1) ctx.addIssue({ code: 'custom', path: ['regions', i, 'replicas'], message: 'the Azure provider runs one VM per region: replicas must be 1', input: r.replicas });
  });
}
