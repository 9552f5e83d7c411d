/** A fault injected into a local region's HTTP server. */
export type LocalFault = NoFault | HangFault | SlowFault | FailFault;

/** Normal service. */
export interface NoFault {
  /** Discriminant. */
  kind: 'none';
}

/** Accepts connections and reads requests, never answers. */
export interface HangFault {
  /** Discriminant. */
  kind: 'hang';
}

/** Answers every request after `ms`. */
export interface SlowFault {
  /** Discriminant. */
  kind: 'slow';
  /** Added delay per request. */
  ms: number;
}

/** Answers a `fraction` of requests (seeded random) with 500. */
export interface FailFault {
  /** Discriminant. */
  kind: 'fail';
  /** Share of requests that fail, 0..1. */
  fraction: number;
}
