import type { Readable } from 'node:stream';
import type { BodyInput } from './request-body.js';
import type { FailureKind } from './failure-kind.js';

/** One request for the data plane to place and send. */
export interface ForwardRequest {
  /** HTTP method. */
  method: string;
  /** Path with query, starting with `/`; appended to the region's endpoint. */
  path: string;
  /** Request headers (hop-by-hop ones are dropped). */
  headers?: Record<string, string | string[] | undefined>;
  /** Body: bytes, text, or a stream (held up to `maxBufferedBodyBytes` so it can be replayed). */
  body?: BodyInput;
  /** The client's address, for geography (see `TrafficRouter.clientAddress` for `X-Forwarded-For`). */
  clientAddress?: string;
  /** Region the client was served by before (a cookie): kept while it is eligible. */
  affinityRegion?: string;
  /** Aborts every attempt. */
  signal?: AbortSignal;
}

/** Why a region was chosen for an attempt. */
export type ChoiceReason = 'affinity' | 'geo' | 'weight' | 'spillover' | 'panic';

/** The response a region gave, and how it was obtained. */
export interface ForwardResponse {
  /** Region that answered. */
  regionId: string;
  /** Tries made, the first included. */
  attempts: number;
  /** Why that region was chosen for the last attempt. */
  choice: ChoiceReason;
  /** HTTP status. */
  statusCode: number;
  /** Response headers. */
  headers: Record<string, string | string[] | undefined>;
  /** Response body; read it or `destroy()` it. */
  body: Readable;
}

/** Payload of `request:retried`. */
export interface RequestRetriedEvent {
  /** HTTP method. */
  method: string;
  /** Path with query. */
  path: string;
  /** Region whose attempt failed. */
  from: string;
  /** Why it failed: a failure kind, or `status` (a retryable 5xx). */
  reason: FailureKind | 'status';
  /** Status, for `status`. */
  status?: number;
  /** The attempt that failed (1 = the first). */
  attempt: number;
  /** When, epoch ms. */
  at: number;
}

/** Payload of `request:failed`: a client saw this request fail. */
export interface RequestFailedEvent {
  /** HTTP method. */
  method: string;
  /** Path with query. */
  path: string;
  /** Regions tried, in order. */
  tried: string[];
  /** Tries made. */
  attempts: number;
  /** Why the last try failed. */
  reason: FailureKind | 'status' | 'no-region';
  /** Status the client got (a region's 5xx), when any. */
  status?: number;
  /** Why no further try was made. */
  notRetried?: 'not-idempotent' | 'body-too-large' | 'budget' | 'max-attempts' | 'no-other-region';
  /** When, epoch ms. */
  at: number;
}

/** Payload of `traffic:panic`: no region is healthy, so requests go to all of them. */
export interface TrafficPanicEvent {
  /** Regions requests are spread over, health ignored. */
  regions: string[];
  /** When, epoch ms. */
  at: number;
}

/** Payload of `traffic:panic-ended`. */
export interface TrafficPanicEndedEvent {
  /** When, epoch ms. */
  at: number;
}

/** Requests and retries in flight, as the retry budget sees them. */
export interface RetryBudgetState {
  /** Requests in flight. */
  active: number;
  /** Retries in flight. */
  retrying: number;
  /** Retries refused by the budget so far (after waiting `queueMillis`). */
  exhausted: number;
  /** Retries that had to wait for a slot so far. */
  queued: number;
}

/** Events of a {@link TrafficRouter}. */
export interface TrafficEvents {
  /** An attempt failed and the request is tried again on another region. */
  'request:retried': RequestRetriedEvent;
  /** A request failed as its client saw it. */
  'request:failed': RequestFailedEvent;
  /** Every region is unhealthy: health is ignored until one recovers (Envoy's panic mode). */
  'traffic:panic': TrafficPanicEvent;
  /** A region is healthy again after a panic. */
  'traffic:panic-ended': TrafficPanicEndedEvent;
}

/** Counters of one region. */
export interface TrafficRegionStats {
  /** Attempts sent to it. */
  requests: number;
  /** Attempts that failed (5xx or no response). */
  failures: number;
  /** Of those, attempts with no response at all. */
  gatewayFailures: number;
  /** Attempts of its that were retried elsewhere. */
  retriedAway: number;
  /** Requests it answered to the client with a status below 500. */
  served: number;
}

/** What clients saw, and what it took. */
export interface TrafficStats {
  /** Requests received. */
  requests: number;
  /** Requests answered below 500. */
  served: number;
  /** Requests the client saw fail (a 5xx, or no response). */
  failures: number;
  /** Requests their client aborted (not counted as failures: nobody waited for an answer). */
  aborted: number;
  /** Requests that needed more than one try. */
  retried: number;
  /** Extra tries made, in all. */
  retries: number;
  /** Retries the budget refused. */
  budgetExhausted: number;
  /** Requests placed while in panic mode. */
  panicRequests: number;
  /** Per region. */
  byRegion: Record<string, TrafficRegionStats>;
}
