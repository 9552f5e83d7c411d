// `pnpm chaos --scale N`: how the volume of a run grows with N. One place for the
// rules, so the runner, the lab, the scenarios and the docs agree on them.
import { DEFAULT_CLIENT_RATE } from './client-traffic.js';

/** Largest `--scale`: past it one 2-core machine measures itself, not the product. */
export const MAX_SCALE = 20;

/**
 * Client requests per second a scaled run sends when `--client-rate` is not
 * given: 50 × scale, at most 200 (issue #21's "200 req/s" at scale 10; from
 * scale 4 up it is 200). `--client-rate` overrides it at any scale.
 */
export const MAX_SCALED_CLIENT_RATE = 200;

/** The client rate of a run: `--client-rate` when given, else {@link MAX_SCALED_CLIENT_RATE}-capped 50 × scale. */
export function clientRateFor(scale: number, explicit?: number): number {
  return explicit ?? Math.min(DEFAULT_CLIENT_RATE * scale, MAX_SCALED_CLIENT_RATE);
}

/**
 * Writers of a lab's write workload at a scale: 1 at scale 1, 2 × scale − 1
 * above (19 at scale 10). A writer waits for each write's answer, so it writes
 * less as the regions get busier: N writers at scale 10 acknowledged about
 * 7 000 writes over a whole run on 2 cores, short of issue #21's ≥ 10 000;
 * twice as many acknowledged about 14 000.
 */
export function writersFor(scale: number): number {
  return 2 * scale - 1;
}

/**
 * A scenario's deadline at a scale: its own (scale 1) plus a tenth of it per
 * step above 1, e.g. 30 s → 57 s at scale 10. What grows with the volume is
 * placing, migrating and counting sessions and the final sync; the faults and
 * the reactions take as long at any scale. The slowest scenario,
 * azurite-restart (40 s at scale 1), took 14–28 s at scale 10 and 28 s at
 * scale 20 (deadlines 76 s and 116 s) on 2 cores shared with other benchmarks.
 */
export function scaledDeadline(baseMillis: number, scale: number): number {
  return Math.round(baseMillis * (1 + (scale - 1) / 10));
}
