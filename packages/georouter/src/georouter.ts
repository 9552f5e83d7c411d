import {
  defineRegions,
  getByRegionId,
  MeridianError,
  noopMetrics,
  systemClock,
  type Clock,
  type Disposable,
  type EventSource,
  type HealthState,
  type Listener,
  type Region,
  type Router,
  type WithErrorEvent,
} from '@meridian/core';
import { parseOptions, TypedEmitter } from '@meridian/core/spi';
import { addressKey } from './cache/cache-key.js';
import { LruCache } from './cache/lru-cache.js';
import type { GeoDatabaseInfo } from './geo/geo-database.js';
import type { GeoLookup } from './geo/geo-lookup.js';
import { preparedDistanceKm, preparePoint, type PreparedPoint } from './geo/haversine.js';
import { NO_GEO_DATABASE, noGeoDatabase } from './geo/no-geo-database.js';
import { NOWHERE, type Place } from './geo/place.js';
import { geoRouterOptionsSchema, type GeoRouterOptions, type HealthSource, type ResolvedGeoRouterOptions } from './georouter-options.js';
import type { GeoRouteDecision, GeoRouteRequest, GeoRouterEvents, GeoRouterStats } from './georouter-types.js';
import { parseIp, type ParsedIp } from './ip/parse-ip.js';
import { specialRange } from './ip/special-ranges.js';
import { exportRouteDecisions } from './route-metrics.js';
import { latencyScorer, seedScorer, type ScoreInput, type Scorer } from './scoring.js';

const HEALTH_REFRESH_MILLIS = 1000;

interface RegionView {
  readonly region: Region;
  readonly point: PreparedPoint;
  state: HealthState;
  latencyMillis: number | undefined;
  drained: boolean;
}

/**
 * Routes each client to the best eligible region: IP → location from an MMDB,
 * then the lowest score (by default the seed's distance + latency formula)
 * among regions that pass the request's policy (health, drain, latency bound,
 * allow-list, data residency). Decisions are cached (bounded LRU with TTL,
 * cleared on any health change) and sessions stick to their region. Without a
 * `database`, every client is placed by health, latency and weight alone.
 */
export class GeoRouter implements Router, EventSource<WithErrorEvent<GeoRouterEvents>> {
  declare readonly '~events'?: WithErrorEvent<GeoRouterEvents>;
  readonly #o: ResolvedGeoRouterOptions;
  readonly #views: RegionView[];
  readonly #byId = new Map<string, RegionView>();
  readonly #routed = new Map<string, number>();
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #scorer: Scorer;
  readonly #cache: LruCache<GeoRouteDecision>;
  readonly #affinity: LruCache<string>;
  readonly #events = new TypedEmitter<GeoRouterEvents>();
  readonly #subscriptions: Disposable[] = [];
  readonly #db: GeoLookup;
  #healthReadAt = Number.NEGATIVE_INFINITY;

  constructor(options: GeoRouterOptions) {
    this.#o = parseOptions(geoRouterOptionsSchema, options, 'GeoRouter options');
    const regions = defineRegions(this.#o.regions as Region[]);
    this.#views = regions.map((region) => ({ region, point: preparePoint(region.location), state: 'unknown', latencyMillis: undefined, drained: false }));
    for (const view of this.#views) this.#byId.set(view.region.id, view);
    if (this.#o.fallbackRegion !== undefined && !this.#byId.has(this.#o.fallbackRegion)) {
      throw new MeridianError('INVALID_CONFIG', `Invalid GeoRouter options:\n  - fallbackRegion: unknown region (got "${this.#o.fallbackRegion}")`, {
        details: { issues: [{ path: 'fallbackRegion', message: 'unknown region', value: this.#o.fallbackRegion }] },
      });
    }
    if (this.#o.database === undefined && this.#o.fallbackRegion !== undefined) {
      // Without a database no client has a location, so the fallback would take all traffic.
      throw new MeridianError(
        'INVALID_CONFIG',
        `Invalid GeoRouter options:\n  - fallbackRegion: needs a database (without one every client lacks a location and would go there; use preferredRegion per request) (got "${this.#o.fallbackRegion}")`,
        { details: { issues: [{ path: 'fallbackRegion', message: 'needs a database', value: this.#o.fallbackRegion }] } },
      );
    }
    // A stand-in without a database keeps route()'s lookup code the same either way.
    this.#db = this.#o.database ?? noGeoDatabase();
    this.#clock = this.#o.clock ?? systemClock;
    this.#random = this.#o.random ?? Math.random;
    this.#scorer = this.#o.scorer ?? (this.#o.database ? seedScorer : latencyScorer);
    this.#cache = new LruCache(Math.max(1, this.#o.cache.maxEntries));
    this.#affinity = new LruCache(this.#o.affinity.maxSessions);
    if (this.#o.metrics && this.#o.metrics !== noopMetrics) {
      this.#subscriptions.push(exportRouteDecisions(this.#o.metrics, regions.map((r) => r.id), this.#routed));
    }
    const monitor = this.#o.monitor;
    if (monitor) {
      for (const view of this.#views) this.#readHealth(monitor, view);
      // Health and latency are mirrored locally so route() never builds snapshots.
      for (const name of ['region:healthy', 'region:degraded', 'region:unhealthy'] as const) {
        this.#subscriptions.push(
          monitor.on(name, (e) => {
            const view = this.#byId.get(e.regionId);
            if (!view) return;
            view.state = e.state;
            this.#cache.clear();
          }),
        );
      }
      this.#subscriptions.push(
        monitor.on('health:probe', (p) => {
          const view = this.#byId.get(p.regionId);
          if (view) this.#readHealth(monitor, view);
        }),
      );
    } else {
      for (const view of this.#views) view.state = 'healthy';
    }
  }

  on<K extends keyof WithErrorEvent<GeoRouterEvents> & string>(name: K, listener: Listener<WithErrorEvent<GeoRouterEvents>[K]>): Disposable {
    return this.#events.on(name, listener);
  }

  once<K extends keyof WithErrorEvent<GeoRouterEvents> & string>(name: K, listener: Listener<WithErrorEvent<GeoRouterEvents>[K]>): Disposable {
    return this.#events.once(name, listener);
  }

  /**
   * Chooses a region for a client. Throws INVALID_ARGUMENT for a malformed IP,
   * REGION_NOT_FOUND for an unknown preferred/allowed region, and
   * NO_ELIGIBLE_REGION (with the reason per region) when nothing qualifies.
   */
  route(request: GeoRouteRequest): GeoRouteDecision {
    const decision = this.#route(request);
    // Load distribution: one counter per region, read by stats().
    this.#routed.set(decision.region, (this.#routed.get(decision.region) ?? 0) + 1);
    return decision;
  }

  /** Load distribution: decisions made so far, in all and per region (every region listed, 0 included). */
  stats(): GeoRouterStats {
    const byRegion: Record<string, number> = {};
    for (const id of this.#byId.keys()) byRegion[id] = this.#routed.get(id) ?? 0;
    return { decisions: [...this.#routed.values()].reduce((a, b) => a + b, 0), byRegion };
  }

  #route(request: GeoRouteRequest): GeoRouteDecision {
    const ip = parseIp(request?.ip);
    const now = this.#clock.now();
    this.#refreshHealth(now);
    const optionsKey = this.#optionsKey(request);

    if (request.sessionId !== undefined) {
      const pinned = this.#affinity.get(request.sessionId, now);
      if (pinned !== undefined) {
        const view = this.#byId.get(pinned);
        // A pinned session keeps its region (its state lives there) unless the region is out.
        const why = view ? this.#ineligible(view, request, undefined, false) : 'region removed';
        if (why === undefined && view) {
          return { region: view.region.id, endpoint: view.region.endpoint, score: 0, reason: 'session affinity', cached: false, ...latencyOf(view) };
        }
        const decision = this.#decide(ip, request, now, optionsKey);
        this.#affinity.set(request.sessionId, decision.region, now + this.#o.affinity.ttlMillis);
        this.#events.emit('route:affinity-broken', { sessionId: request.sessionId, from: pinned, to: decision.region, reason: why ?? 'ineligible' });
        return decision;
      }
    }
    const decision = this.#decide(ip, request, now, optionsKey);
    if (request.sessionId !== undefined) this.#affinity.set(request.sessionId, decision.region, now + this.#o.affinity.ttlMillis);
    if (this.#o.decisionSampleRate > 0 && this.#events.listenerCount('route:decision') > 0 && this.#random() < this.#o.decisionSampleRate) {
      this.#events.emit('route:decision', { ip: request.ip, ...(request.sessionId ? { sessionId: request.sessionId } : {}), decision });
    }
    return decision;
  }

  /** Takes a region out of (or back into) rotation; drained regions never receive new clients. */
  setDrained(regionId: string, drained: boolean): void {
    getByRegionId(this.#byId, regionId).drained = drained;
    this.#cache.clear();
  }

  /** The region a session is pinned to, if any. */
  affinityOf(sessionId: string): string | undefined {
    return this.#affinity.get(sessionId, this.#clock.now());
  }

  /** Decisions in the cache now (bounded by `cache.maxEntries`). */
  get cacheSize(): number {
    return this.#cache.size;
  }

  /** Sessions remembered now (bounded by `affinity.maxSessions`). */
  get sessionCount(): number {
    return this.#affinity.size;
  }

  /** Drops every cached decision. */
  clearCache(): void {
    this.#cache.clear();
  }

  /** Reloads the database from disk while serving; the cache is cleared when the new file is in. INVALID_ARGUMENT without a database. */
  async reload(): Promise<GeoDatabaseInfo[]> {
    try {
      const info = await this.#db.reload();
      this.#cache.clear();
      this.#events.emit('route:database-reloaded', { ok: true, detail: info.map((i) => i.databaseType).join(', ') });
      return info;
    } catch (error) {
      this.#events.emit('route:database-reloaded', { ok: false, detail: (error as Error).message });
      throw error;
    }
  }

  /** Reloads whenever the database file changes. INVALID_ARGUMENT without a database. */
  watchDatabase(): void {
    this.#db.watch((result) => {
      if (result.ok) this.#cache.clear();
      this.#events.emit('route:database-reloaded', result.ok ? { ok: true, detail: result.info.map((i) => i.databaseType).join(', ') } : { ok: false, detail: result.error.message });
    });
  }

  /**
   * Stops listening to health and to the database file, and stops exporting
   * metrics. Idempotent; awaitable; your own listeners stay subscribed.
   */
  async close(): Promise<void> {
    for (const sub of this.#subscriptions.splice(0)) sub.dispose();
    this.#db.close();
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #decide(ip: ParsedIp, request: GeoRouteRequest, now: number, optionsKey: string): GeoRouteDecision {
    const useCache = this.#o.cache.maxEntries > 0;
    let cacheKey = '';
    if (useCache) {
      const address = this.#o.cache.key === 'ip' ? ip.address : addressKey(ip, this.#o.cache);
      cacheKey = optionsKey === '' ? address : `${address}|${optionsKey}`;
      // Hits return one frozen object: no copy on the hot path.
      const hit = this.#cache.get(cacheKey, now);
      if (hit !== undefined) return hit;
    }
    const special = specialRange(ip.address, ip.version, ip.v4);
    // Why there can be no location: a special range, or no data for this IP version (never a guess from another tree).
    const noLocation = special ? `${special} address` : this.#db.uncovered(ip.version);
    const place = (noLocation ? undefined : this.#db.place(ip)) ?? NOWHERE;
    const decision = this.#choose(request, place, noLocation);
    if (useCache) this.#cache.set(cacheKey, Object.freeze({ ...decision, cached: true }), now + this.#o.cache.ttlMillis);
    return decision;
  }

  #choose(request: GeoRouteRequest, place: Place, noLocation: string | undefined): GeoRouteDecision {
    if (request.preferredRegion !== undefined) getByRegionId(this.#byId, request.preferredRegion);
    if (request.allowedRegions) for (const id of request.allowedRegions) getByRegionId(this.#byId, id);
    const hasPoint = place.located;
    // One input object per route, refilled per region (scorers must not keep it).
    const input: ScoreInput = { region: this.#views[0]!.region, distanceKm: undefined, latencyMillis: undefined, preferred: false, state: 'unknown' };
    const reasons: Record<string, string> = {};
    let best: RegionView | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    let bestDistance: number | undefined;
    for (const view of this.#views) {
      const why = this.#ineligible(view, request, place.country, true);
      if (why !== undefined) {
        reasons[view.region.id] = why;
        continue;
      }
      const distanceKm = hasPoint ? preparedDistanceKm(place, view.point) : undefined;
      input.region = view.region;
      input.distanceKm = distanceKm;
      input.latencyMillis = view.latencyMillis;
      input.preferred = request.preferredRegion === view.region.id;
      input.state = view.state;
      let score = this.#scorer(input);
      if (view.state === 'degraded') score *= this.#o.degradedPenalty;
      if (!hasPoint && this.#o.fallbackRegion === view.region.id) score = Number.NEGATIVE_INFINITY;
      if (score < bestScore) {
        best = view;
        bestScore = score;
        bestDistance = distanceKm;
      }
    }
    if (!best) {
      throw new MeridianError(
        'NO_ELIGIBLE_REGION',
        `No region qualifies for ${request.ip}: ${Object.entries(reasons)
          .map(([id, why]) => `${id} (${why})`)
          .join(', ')}`,
        { details: { reasons, country: place.country } },
      );
    }
    const reason = hasPoint
      ? `nearest eligible region${place.city ? ` to ${place.city}` : ''}${place.country ? ` (${place.country})` : ''}${request.preferredRegion === best.region.id ? ', preferred' : ''}${best.state === 'degraded' ? ', degraded' : ''}`
      : this.#o.database === undefined
        ? `${NO_GEO_DATABASE}: best by latency and weight${request.preferredRegion === best.region.id ? ', preferred' : ''}${best.state === 'degraded' ? ', degraded' : best.state === 'unhealthy' ? ', unhealthy' : ''}`
        : `${noLocation ?? 'no location for this address'}: ${this.#o.fallbackRegion === best.region.id ? 'fallback region' : 'best by latency and weight'}`;
    const decision: GeoRouteDecision = {
      region: best.region.id,
      endpoint: best.region.endpoint,
      score: Number.isFinite(bestScore) ? bestScore : 0,
      reason,
      cached: false,
    };
    if (best.latencyMillis !== undefined) decision.latencyMillis = best.latencyMillis;
    if (bestDistance !== undefined) decision.distanceKm = bestDistance;
    if (place.country) decision.country = place.country;
    return decision;
  }

  /** Why a region cannot take this request, or undefined when it can. */
  #ineligible(view: RegionView, request: GeoRouteRequest, country: string | undefined, checkResidency: boolean): string | undefined {
    if (view.drained) return 'drained';
    if (request.allowedRegions && !request.allowedRegions.includes(view.region.id)) return 'not in allowedRegions';
    if (request.requireHealthy !== false && view.state === 'unhealthy') return 'unhealthy';
    if (request.maxLatencyMillis !== undefined && view.latencyMillis !== undefined && view.latencyMillis > request.maxLatencyMillis) {
      return `latency ${view.latencyMillis.toFixed(0)} ms > ${request.maxLatencyMillis} ms`;
    }
    if (request.residency && checkResidency) {
      if (!country) return 'client country unknown: residency cannot be proven';
      if (!view.region.residency?.includes(country)) return `residency does not admit ${country}`;
    }
    return undefined;
  }

  #optionsKey(request: GeoRouteRequest): string {
    const { preferredRegion, requireHealthy, maxLatencyMillis, allowedRegions, residency } = request;
    if (maxLatencyMillis !== undefined && !(Number.isFinite(maxLatencyMillis) && maxLatencyMillis >= 0)) {
      throw new MeridianError('INVALID_CONFIG', `Invalid route request:\n  - maxLatencyMillis: must be a finite number >= 0 (got ${maxLatencyMillis})`, {
        details: { issues: [{ path: 'maxLatencyMillis', message: 'must be a finite number >= 0', value: String(maxLatencyMillis) }] },
      });
    }
    if (preferredRegion === undefined && requireHealthy === undefined && maxLatencyMillis === undefined && allowedRegions === undefined && !residency) return '';
    if (residency && this.#o.database === undefined) {
      // Refused rather than treated as an unknown country: no request of this kind could ever be placed.
      throw new MeridianError(
        'INVALID_CONFIG',
        'Invalid route request:\n  - residency: needs a geo database to know the client\'s country, and this GeoRouter has none (give `database: await GeoDatabase.open(path)`) (got true)',
        { details: { issues: [{ path: 'residency', message: 'needs a geo database', value: 'true' }] } },
      );
    }
    return `${preferredRegion ?? ''};${requireHealthy === false ? 0 : 1};${maxLatencyMillis ?? ''};${allowedRegions?.join(',') ?? '*'};${residency ? 1 : 0}`;
  }

  /**
   * Re-reads every region's latency at most once a second: passive reports move
   * the EWMA without an event, and a per-route read would cost a snapshot each.
   */
  #refreshHealth(now: number): void {
    const monitor = this.#o.monitor;
    if (!monitor || now - this.#healthReadAt < HEALTH_REFRESH_MILLIS) return;
    this.#healthReadAt = now;
    for (const view of this.#views) this.#readHealth(monitor, view);
  }

  #readHealth(monitor: HealthSource, view: RegionView): void {
    try {
      const health = monitor.get(view.region.id);
      view.state = health.state;
      view.latencyMillis = health.latencyMillis;
    } catch {
      // The monitor does not watch this region: unknown state, unknown latency.
    }
  }
}

function latencyOf(view: RegionView): { latencyMillis?: number } {
  return view.latencyMillis === undefined ? {} : { latencyMillis: view.latencyMillis };
}
