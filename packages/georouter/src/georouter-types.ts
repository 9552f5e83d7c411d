import type { RouteDecision, RouteRequest } from '@meridian/core';

/** A request to place one client. */
export interface GeoRouteRequest extends RouteRequest {
  /** Only regions whose `residency` lists the client's country (data-residency routing). Default false. */
  residency?: boolean;
}

/** Where a client goes, with the figures behind the choice. Cached decisions are frozen: treat all as read-only. */
export interface GeoRouteDecision extends RouteDecision {
  /** Great-circle distance to the region, km (undefined when the client has no location). */
  distanceKm?: number;
  /** The region's EWMA latency, ms, when known. */
  latencyMillis?: number;
  /** The client's country, when known. */
  country?: string;
  /** True when served from the decision cache. */
  cached: boolean;
}

/** Payload of `route:decision`. */
export interface RouteDecisionEvent {
  /** The client IP as given. */
  ip: string;
  /** Session, if any. */
  sessionId?: string;
  /** The decision. */
  decision: GeoRouteDecision;
}

/** Payload of `route:affinity-broken`: a session must leave its region. */
export interface AffinityBrokenEvent {
  /** Session id. */
  sessionId: string;
  /** Where it was pinned. */
  from: string;
  /** Where it goes now. */
  to: string;
  /** Why the old region no longer qualifies. */
  reason: string;
}

/** Payload of `route:database-reloaded`. */
export interface DatabaseReloadedEvent {
  /** Whether the new file was taken. */
  ok: boolean;
  /** The database type now in use, or the error when the reload failed. */
  detail: string;
}

/** Events of a {@link GeoRouter}. */
export interface GeoRouterEvents {
  /** A sampled decision (`decisionSampleRate`). */
  'route:decision': RouteDecisionEvent;
  /** A session's region stopped qualifying; it was routed elsewhere. */
  'route:affinity-broken': AffinityBrokenEvent;
  /** The geo database was reloaded (or the reload was refused). */
  'route:database-reloaded': DatabaseReloadedEvent;
}

/** How the router has spread clients over the regions. */
export interface GeoRouterStats {
  /** Decisions made since the router started. */
  decisions: number;
  /** Decisions per region id (every region, 0 included). */
  byRegion: Record<string, number>;
}
