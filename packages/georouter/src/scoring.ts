import type { HealthState, Region } from '@meridian/core';

/** What a scorer sees for one candidate region. */
export interface ScoreInput {
  /** The candidate. */
  region: Region;
  /** Great-circle distance client → region in km; undefined when the client has no location. */
  distanceKm: number | undefined;
  /** The region's EWMA probe latency in ms (HealthMonitor); undefined when unknown. */
  latencyMillis: number | undefined;
  /** Whether the request prefers this region. */
  preferred: boolean;
  /** The region's health state. */
  state: HealthState;
}

/** Scores a candidate; lower wins. Must be a pure, fast function that does not keep its input. */
export type Scorer = (input: ScoreInput) => number;

/**
 * The seed design's formula: `(distance_km + latency_ms / 10) × (100 / weight)`,
 * halved for the preferred region. 1 ms of latency counts like 10 km (light in
 * fibre covers about 200 km per ms, so this leans on latency as it should).
 * An unknown distance or latency counts as 0.
 */
export const seedScorer: Scorer = ({ region, distanceKm, latencyMillis, preferred }) => {
  const score = ((distanceKm ?? 0) + (latencyMillis ?? 0) / 10) * (100 / region.weight);
  return preferred ? score / 2 : score;
};

/**
 * The default without a geo database (no distance to weigh):
 * `(1 + latency_ms) × (100 / weight)`, halved for the preferred region. The 1 ms
 * floor lets weight decide between regions whose latency is equal, 0 or not yet
 * known (an unknown latency counts as 0, as in {@link seedScorer}).
 */
export const latencyScorer: Scorer = ({ region, latencyMillis, preferred }) => {
  const score = (1 + (latencyMillis ?? 0)) * (100 / region.weight);
  return preferred ? score / 2 : score;
};
