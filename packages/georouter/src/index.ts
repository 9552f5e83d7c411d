// Public API of @meridian/georouter.
export { GeoRouter } from './georouter.js';
export type { AffinityOptions, GeoRouterOptions, HealthSource, RouteCacheOptions } from './georouter-options.js';
export type { AffinityBrokenEvent, DatabaseReloadedEvent, GeoRouteDecision, GeoRouteRequest, GeoRouterEvents, GeoRouterStats, RouteDecisionEvent } from './georouter-types.js';
export { GeoDatabase } from './geo/geo-database.js';
export type { GeoDatabaseFiles, GeoDatabaseInfo, GeoDatabaseOptions, GeoDatabaseSource } from './geo/geo-database.js';
export type { ClientLocation } from './geo/geo-record.js';
export { haversineKm } from './geo/haversine.js';
export { parseIp } from './ip/parse-ip.js';
export type { ParsedIp } from './ip/parse-ip.js';
export { latencyScorer, seedScorer } from './scoring.js';
export type { ScoreInput, Scorer } from './scoring.js';
export { DBIP_ATTRIBUTION, locateDbipCityLite } from './geo/dbip-lite.js';
export type { DbipLitePaths } from './geo/dbip-lite.js';
