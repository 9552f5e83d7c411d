import type { DeploymentReport, LeaseStore, Prober, Region, RegionPrice, RegionProvider, ReplicaStore, SessionAdapter, TrafficStats, TrafficWeights } from '@meridian/core';
import type { MeridianConfig, RegionConfig } from '../../config/config-schema.js';

/** The provider as the control plane uses it, whatever its kind. */
export interface PlaneProvider extends RegionProvider {
  /** `local`, `k8s`, `azure`. */
  readonly name: string;
  /** Every configured region id. */
  regionIds(): string[];
  /** The weights last set, or undefined before any. */
  traffic(): TrafficWeights | undefined;
  /** Hourly price per region, where the kind knows one. */
  prices(): Promise<RegionPrice[]>;
}

/** Sessions, for a kind whose regions hold live sessions Meridian can move. */
export interface KindSessions {
  /** Snapshots, suspends, restores and activates sessions in the regions. */
  adapter: SessionAdapter;
  /** Creates a session in a region (for `meridian sessions add`). */
  create(regionId: string, sessionId: string, state: unknown): Promise<void>;
}

/** One provider kind's pieces, built from the config: provider, lease store, health source, sessions, replica stores. */
export interface ProviderKind {
  /** The config's `provider.kind`. */
  readonly kind: MeridianConfig['provider']['kind'];
  /** Deploys, destroys, shifts traffic. */
  readonly provider: PlaneProvider;
  /** Who may act: two agents on one config never both hold it. */
  readonly leaseStore: LeaseStore;
  /** Health from the provider instead of HTTP probes of the endpoints (clusters and VMs Meridian cannot reach). */
  readonly prober: Prober | undefined;
  /** Undefined when the kind has no session adapter: the session commands answer SESSIONS_UNSUPPORTED. */
  readonly sessions: KindSessions | undefined;
  /** Where prices come from, in words. */
  readonly priceSource: string;
  /** The front door's URL (local only). */
  frontDoorUrl(): string | undefined;
  /** What the agent's own front door counted (local only); undefined where traffic flows through DNS or a cloud load balancer. */
  frontDoorStats(): TrafficStats | undefined;
  /** The deployed regions as core Regions, with endpoints. */
  regions(): Region[];
  /** Takes in a finished deployment (which regions are live, where they answer). */
  noteDeployed(report: DeploymentReport): void;
  /** Checks what can only be checked against the real thing (contexts, locations, sizes) before anything is created. */
  preflight(signal: AbortSignal): Promise<void>;
  /** After the first deployment: what the kind runs besides the regions (the local front door). */
  started(): Promise<void>;
  /** Replica stores of the regions, for sync; undefined when the kind has none. */
  replicaStores(regionIds: string[], timeoutMillis: number): Array<ReplicaStore & { close(): Promise<void> }> | undefined;
  /** Destroys the regions; with every region gone, also what they shared (DNS records, the Traffic Manager profile). */
  destroy(regionIds: string[], all: boolean, signal: AbortSignal): Promise<void>;
  /** Frees sockets and processes; never deletes cloud resources. Idempotent. */
  close(): Promise<void>;
}

/** A configured region as a core Region, at `endpoint`. */
export function regionOf(config: MeridianConfig, r: RegionConfig, endpoint: string): Region {
  const index = config.regions.indexOf(r);
  return {
    id: r.id,
    provider: config.provider.kind,
    location: r.location,
    endpoint,
    weight: r.weight,
    priority: r.priority ?? index,
    labels: {},
    ...(r.name ? { name: r.name } : {}),
    ...(r.residency ? { residency: r.residency } : {}),
  };
}

/** The prices declared in the config (`regions[].price`), for kinds without a price API. */
export function declaredPrices(config: MeridianConfig): RegionPrice[] {
  return config.regions.flatMap((r) => (r.price ? [{ regionId: r.id, hourly: r.price.hourly, currency: r.price.currency }] : []));
}

/** The home region: the lowest priority, list order breaking ties (as the failover manager picks it). */
export function homeRegion(config: MeridianConfig): string {
  return [...config.regions].map((r, i) => ({ id: r.id, p: r.priority ?? i, i })).sort((a, b) => a.p - b.p || a.i - b.i)[0]!.id;
}
