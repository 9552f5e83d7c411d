/** A client request to place. */
export interface RouteRequest {
  /** Client IP (v4 or v6). */
  ip: string;
  /** Session to keep sticky, if any. */
  sessionId?: string;
  /** Region to favour. */
  preferredRegion?: string;
  /** Exclude regions that are not healthy. Default true. */
  requireHealthy?: boolean;
  /** Exclude regions slower than this (EWMA). */
  maxLatencyMillis?: number;
  /** Only consider these regions. */
  allowedRegions?: string[];
  /** Only regions whose `residency` admits the client's country (routers that know countries honour it). */
  residency?: boolean;
}

/** Where a request goes, and why. */
export interface RouteDecision {
  /** Chosen region id. */
  region: string;
  /** Its endpoint. */
  endpoint: string;
  /** Score, lower is better. */
  score: number;
  /** Why this region won. */
  reason: string;
}

/** Places clients on regions. Implemented by @meridian/georouter. */
export interface Router {
  /** Chooses a region for `request`. */
  route(request: RouteRequest): RouteDecision | Promise<RouteDecision>;
  /** Takes a region out of (or back into) rotation without touching its health. */
  setDrained(regionId: string, drained: boolean): void;
}
