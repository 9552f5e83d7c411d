import type { ProbeOutcome } from './health-types.js';

/** What a prober is asked to check. */
export interface ProbeTarget {
  /** Region id. */
  regionId: string;
  /** Full URL to probe, e.g. `http://127.0.0.1:4100/health`. */
  url: string;
}

/**
 * Runs one active check. Must stop promptly when `signal` aborts (the monitor
 * aborts on timeout and on stop). Throwing is allowed: the monitor counts a
 * throw as a failed probe, it never kills the loop.
 */
export interface Prober {
  /** Checks one target. */
  probe(target: ProbeTarget, options: { signal: AbortSignal }): Promise<ProbeOutcome>;
  /** Releases sockets; the prober may be used again afterwards. */
  close?(): Promise<void>;
}
