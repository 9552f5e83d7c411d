import type { ProbeOutcome, Prober, ProbeTarget, RegionProvider } from '@meridian/core';

/**
 * A `Prober` for core's HealthMonitor that asks the provider instead of
 * sending HTTP: a region is healthy while `status()` says `running` (its
 * Deployment Available, as the watch sees it). Use it when the region
 * endpoints cannot be reached from where Meridian runs, or beside an HTTP
 * monitor to tell "the cluster says not ready" from "unreachable from here".
 */
export function createReadinessProber(provider: Pick<RegionProvider, 'status'>): Prober {
  return {
    async probe(target: ProbeTarget, options: { signal: AbortSignal }): Promise<ProbeOutcome> {
      try {
        const status = await provider.status(target.regionId, { signal: options.signal });
        if (status.state === 'running') return { ok: true };
        const reason = typeof status.details?.['reason'] === 'string' ? `: ${status.details['reason']}` : '';
        return { ok: false, error: `${status.state}${reason}` };
      } catch (error) {
        return { ok: false, error: (error as Error)?.message ?? String(error) };
      }
    },
  };
}
