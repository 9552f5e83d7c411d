import type { TrafficWeights } from '@meridian/core';
import type { ArmClients } from './arm-clients.js';
import { armError, isNotFound } from './arm-errors.js';
import type { ResolvedAzureProviderOptions } from './azure-provider-options.js';

type TrafficManagerSettings = NonNullable<ResolvedAzureProviderOptions['trafficManager']>;

/** What one region's endpoint becomes. */
export interface EndpointPlan {
  regionId: string;
  /** Public IP the endpoint points at (it carries a DNS name). */
  targetResourceId: string;
  endpointStatus: 'Enabled' | 'Disabled';
  weight: number;
  priority: number;
}

const ENDPOINT_TYPE = 'AzureEndpoints';

/**
 * Turns relative weights into Traffic Manager endpoint settings: weights
 * scaled to integers 1..1000 (the largest becomes 1000), 0 as Disabled (with
 * weight 1, as 0 is not allowed); for Priority routing, priorities 1..n by
 * weight, heaviest first, disabled regions last, ties in configuration order.
 */
export function planEndpoints(weights: TrafficWeights, targets: Record<string, string>, order: string[]): EndpointPlan[] {
  const max = Math.max(...Object.values(weights));
  const ranked = [...order].sort((a, b) => (weights[b] ?? 0) - (weights[a] ?? 0) || order.indexOf(a) - order.indexOf(b));
  return order
    .filter((id) => targets[id] !== undefined)
    .map((regionId) => {
      const w = weights[regionId] ?? 0;
      return {
        regionId,
        targetResourceId: targets[regionId]!,
        endpointStatus: w > 0 ? 'Enabled' : 'Disabled',
        weight: w > 0 ? Math.min(1000, Math.max(1, Math.round((w / max) * 1000))) : 1,
        priority: ranked.indexOf(regionId) + 1,
      };
    });
}

/** Creates the profile (and its resource group) unless it exists; a PUT would replace its endpoints. */
export async function ensureProfile(clients: ArmClients, tm: TrafficManagerSettings, location: string, port: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await clients.trafficManager.profiles.get(tm.resourceGroup, tm.profileName, { abortSignal: signal });
    return;
  } catch (error) {
    if (!isNotFound(error)) throw armError(error, undefined, `read Traffic Manager profile ${tm.profileName}`);
  }
  try {
    await clients.resources.resourceGroups.createOrUpdate(tm.resourceGroup, { location, tags: { 'meridian-role': 'traffic-manager' } }, { abortSignal: signal });
    await clients.trafficManager.profiles.createOrUpdate(
      tm.resourceGroup,
      tm.profileName,
      {
        location: 'global',
        profileStatus: 'Enabled',
        trafficRoutingMethod: tm.routing,
        dnsConfig: { relativeName: tm.profileName, ttl: tm.dnsTtlSeconds },
        monitorConfig: { protocol: 'HTTP', port, path: '/health', intervalInSeconds: 30, timeoutInSeconds: 10, toleratedNumberOfFailures: 3 },
      },
      { abortSignal: signal },
    );
  } catch (error) {
    throw armError(error, undefined, `create Traffic Manager profile ${tm.profileName}`);
  }
}

/**
 * Writes the endpoints. With Priority routing, priorities must stay unique at
 * every write, so when they change the endpoints first move to temporary
 * priorities (1000 - i) and then to their final ones.
 */
export async function writeEndpoints(clients: ArmClients, tm: TrafficManagerSettings, plan: EndpointPlan[], signal: AbortSignal | undefined): Promise<void> {
  const put = (p: EndpointPlan, priority: number) =>
    clients.trafficManager.endpoints
      .createOrUpdate(
        tm.resourceGroup,
        tm.profileName,
        ENDPOINT_TYPE,
        p.regionId,
        { targetResourceId: p.targetResourceId, endpointStatus: p.endpointStatus, weight: p.weight, priority },
        { abortSignal: signal },
      )
      .catch((error: unknown) => {
        throw armError(error, p.regionId, `update Traffic Manager endpoint ${tm.profileName}/${p.regionId}`);
      });
  if (tm.routing === 'Priority') {
    const current = await clients.trafficManager.profiles.get(tm.resourceGroup, tm.profileName, { abortSignal: signal }).catch((error: unknown) => {
      throw armError(error, undefined, `read Traffic Manager profile ${tm.profileName}`);
    });
    const now = new Map((current.endpoints ?? []).map((e) => [e.name?.toLowerCase(), e.priority]));
    if (plan.some((p) => now.has(p.regionId.toLowerCase()) && now.get(p.regionId.toLowerCase()) !== p.priority)) {
      // One at a time: each write must see the previous one's priority.
      for (const [i, p] of plan.entries()) if (now.has(p.regionId.toLowerCase())) await put(p, 1000 - i);
    }
    for (const p of plan) await put(p, p.priority);
    return;
  }
  await Promise.all(plan.map((p) => put(p, p.priority)));
}
