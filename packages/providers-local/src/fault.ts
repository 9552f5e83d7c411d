/** A fault injected into a local region's HTTP server. */
export type LocalFault =
  | { kind: 'none' }
  /** Accepts connections and reads requests, never answers. */
  | { kind: 'hang' }
  /** Answers every request after `ms`. */
  | { kind: 'slow'; ms: number }
  /** Answers a `fraction` of requests (seeded random) with 500. */
  | { kind: 'fail'; fraction: number };
