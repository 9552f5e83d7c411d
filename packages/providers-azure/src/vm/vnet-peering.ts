import type { DeployOptions } from '@meridian/core';
import type { ArmClients } from './arm-clients.js';
import { reportProgress } from './report-progress.js';
import { armError } from './arm-errors.js';

/** A region's VNet, to peer. */
export interface PeerableVnet {
  regionId: string;
  resourceGroup: string;
  vnetName: string;
  vnetId: string;
}

/** The outcome of peering one region with all the others. */
export interface PeeringOutcome {
  regionId: string;
  /** Ids of the peerings created on this region's VNet. */
  peerings: string[];
  /** `<CODE>: <message>` of the first peering of this region that failed. */
  error?: string;
}

/** Peering name on `from`'s VNet towards `to`. */
export const peeringName = (to: string): string => `meridian-to-${to}`;

/**
 * Full-mesh VNet peering: for every pair, a peering on each side (Azure needs
 * both for traffic to flow), all in parallel. With `onlyWith`, only the pairs
 * that involve one of those regions (the others are peered already). Never
 * throws; progress step `peering` per region, failed with ARM's code (e.g.
 * VnetAddressSpacesOverlap).
 */
export async function peerVnets(clients: ArmClients, vnets: PeerableVnet[], options: DeployOptions & { pollIntervalMillis?: number | undefined; onlyWith?: ReadonlySet<string> }): Promise<PeeringOutcome[]> {
  const lro = { abortSignal: options.signal, ...(options.pollIntervalMillis ? { updateIntervalInMs: options.pollIntervalMillis } : {}) };
  return Promise.all(
    vnets.map(async (from) => {
      reportProgress(options, { regionId: from.regionId, step: 'peering', status: 'started' });
      const outcomes = await Promise.allSettled(
        vnets
          .filter((to) => to.regionId !== from.regionId && (!options.onlyWith || options.onlyWith.has(from.regionId) || options.onlyWith.has(to.regionId)))
          .map((to) =>
            clients.network.virtualNetworkPeerings.beginCreateOrUpdateAndWait(
              from.resourceGroup,
              from.vnetName,
              peeringName(to.regionId),
              { remoteVirtualNetwork: { id: to.vnetId }, allowVirtualNetworkAccess: true, allowForwardedTraffic: false, allowGatewayTransit: false, useRemoteGateways: false },
              lro,
            ),
          ),
      );
      const peerings = outcomes.flatMap((o) => (o.status === 'fulfilled' && o.value.id ? [o.value.id] : []));
      const failed = outcomes.find((o) => o.status === 'rejected');
      if (failed) {
        const e = armError(failed.reason, from.regionId, 'VNet peering');
        const error = `${e.code}: ${e.message}`;
        reportProgress(options, { regionId: from.regionId, step: 'peering', status: 'failed', message: error });
        return { regionId: from.regionId, peerings, error };
      }
      reportProgress(options, { regionId: from.regionId, step: 'peering', status: 'completed', message: peerings.join(', ') });
      return { regionId: from.regionId, peerings };
    }),
  );
}
