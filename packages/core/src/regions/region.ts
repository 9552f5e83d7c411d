import { z } from 'zod';
import { endpointUrlSchema } from '../config/endpoint-url.js';
import { parseOptions } from '../config/parse-options.js';

/** Region ids are DNS-label-like so they fit hostnames, k8s names and metric labels. */
export const REGION_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** @internal zod schema for a region id. */
export const regionIdSchema = z
  .string()
  .regex(REGION_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9-]{0,62}$ (lowercase letters, digits, dashes)');

/** @internal zod schema for a Region. */
export const regionSchema = z
  .object({
    id: regionIdSchema,
    name: z.string().min(1).optional(),
    provider: z.string().min(1).default('local'),
    location: z
      .object({
        lat: z.number().min(-90).max(90),
        lon: z.number().min(-180).max(180),
      })
      .strict(),
    endpoint: endpointUrlSchema,
    weight: z.number().gt(0).finite().default(100),
    priority: z.number().int().min(0).default(0),
    labels: z.record(z.string(), z.string()).default({}),
    residency: z
      .array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code, e.g. "DE"'))
      .optional(),
  })
  .strict();

/** Geographic coordinates in decimal degrees. */
export interface GeoPoint {
  /** Latitude, -90 to 90. */
  lat: number;
  /** Longitude, -180 to 180. */
  lon: number;
}

/** A region: where a copy of the workload runs and how to reach it. */
export interface Region {
  /** Stable id, `^[a-z0-9][a-z0-9-]{0,62}$`, e.g. `eu-west`. */
  id: string;
  /** Human-readable name, e.g. `Ireland, EU`. */
  name?: string;
  /** Which provider runs it (`local`, `azure`, `k8s`, ...). Default `local`. */
  provider: string;
  /** Where it is, for distance-based routing. */
  location: GeoPoint;
  /** Base URL clients and probes use, http(s). */
  endpoint: string;
  /** Relative share of traffic, > 0. Default 100. */
  weight: number;
  /** Failover order: lower is preferred (0 = primary). Default 0. */
  priority: number;
  /** Free-form labels (tier, cloud, zone ...). Default `{}`. */
  labels: Record<string, string>;
  /** ISO 3166-1 alpha-2 countries whose users' data may live here; absent = any. */
  residency?: string[];
}

/** What a host writes; defaults fill the rest. */
export interface RegionInput {
  /** Region id, `^[a-z0-9][a-z0-9-]{0,62}$`. */
  id: string;
  /** Human-readable name. */
  name?: string;
  /** Provider name. Default `local`. */
  provider?: string;
  /** Coordinates in decimal degrees. */
  location: GeoPoint;
  /** Base URL, http(s). */
  endpoint: string;
  /** Traffic weight, > 0. Default 100. */
  weight?: number;
  /** Failover priority, lower first. Default 0. */
  priority?: number;
  /** Labels. Default `{}`. */
  labels?: Record<string, string>;
  /** ISO 3166-1 alpha-2 codes. */
  residency?: string[];
}

/** Validates one region; throws INVALID_CONFIG naming each bad field. */
export function defineRegion(input: RegionInput): Region {
  return parseOptions(regionSchema, input, 'region') as Region;
}
