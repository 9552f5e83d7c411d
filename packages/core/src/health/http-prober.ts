import { Agent, type Dispatcher } from 'undici';
import type { ProbeOutcome } from './health-types.js';
import { describeError, ProbeResponseHandler, type ProbeResponseCheck } from './probe-response-handler.js';
import type { Prober, ProbeTarget } from './prober.js';

/** An inclusive range of HTTP statuses. */
export interface StatusRange {
  /** Lowest accepted status. */
  min: number;
  /** Highest accepted status. */
  max: number;
}

/** Options of {@link createHttpProber}. */
export interface HttpProberOptions {
  /** Accepted status range, inclusive. Default 200..299. */
  expectedStatus?: StatusRange;
  /** Optional check of the response body (read up to `maxBodyBytes`). */
  bodyPredicate?: (body: string, status: number) => boolean;
  /** Extra request headers (e.g. a Host header for a shared front door). */
  headers?: Record<string, string>;
  /** Body bytes read for `bodyPredicate`; a longer body fails the probe. Default 65536. */
  maxBodyBytes?: number;
  /** Keep-alive connections per origin. Default 4. */
  connections?: number;
}

// Parsed request of each probed URL; bounded so a monitor whose regions churn keeps no garbage.
const MAX_CACHED_URLS = 1024;

/**
 * The default prober: `GET` over a keep-alive undici Agent, so a probe costs a
 * request, not a TCP handshake. Connection errors, resets, timeouts, unparseable
 * responses, unexpected statuses and rejected bodies are all failures, returned
 * (never thrown) with a short reason.
 *
 * Each request goes through undici's `dispatch` with a response handler of its own
 * and request options parsed once per URL: no URL parsing, response stream or
 * header object per sample, the work that made a probe of several samples cost
 * more CPU than the requests it sends.
 */
export function createHttpProber(options: HttpProberOptions = {}): Prober {
  const expected = options.expectedStatus ?? { min: 200, max: 299 };
  const check: ProbeResponseCheck = { min: expected.min, max: expected.max, maxBodyBytes: options.maxBodyBytes ?? 65536 };
  if (options.bodyPredicate) check.bodyPredicate = options.bodyPredicate;
  const headers = { 'user-agent': 'meridian-health/1', ...options.headers };
  const requests = new Map<string, Dispatcher.DispatchOptions>();
  let agent: Agent | undefined;

  const requestOf = (url: string): Dispatcher.DispatchOptions => {
    let request = requests.get(url);
    if (request === undefined) {
      const parsed = new URL(url);
      request = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}`, method: 'GET', headers };
      if (requests.size >= MAX_CACHED_URLS) requests.clear();
      requests.set(url, request);
    }
    return request;
  };

  return {
    probe(target: ProbeTarget, { signal }): Promise<ProbeOutcome> {
      if (signal.aborted) return Promise.resolve({ ok: false, error: describeError(undefined, signal) });
      let request: Dispatcher.DispatchOptions;
      try {
        request = requestOf(target.url);
      } catch (error) {
        return Promise.resolve({ ok: false, error: describeError(error, signal) });
      }
      agent ??= new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, connections: options.connections ?? 4 });
      const handler = new ProbeResponseHandler(check, signal);
      // Errors, even synchronous ones (a closed agent), reach the handler's onResponseError.
      agent.dispatch(request, handler);
      return handler.outcome;
    },
    async close(): Promise<void> {
      const current = agent;
      agent = undefined;
      await current?.destroy().catch(() => undefined);
    },
  };
}
