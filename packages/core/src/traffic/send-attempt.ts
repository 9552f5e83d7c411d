import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { request, type Agent } from 'undici';
import type { Clock } from '../clock/clock.js';
import { MeridianError } from '../errors/meridian-error.js';
import { failureKind, type FailureKind } from './failure-kind.js';
import type { HeldBody } from './request-body.js';
import type { TrafficRegion } from './traffic-options.js';
import type { ForwardRequest } from './traffic-types.js';

// Headers that describe one hop and must not be forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);

const PER_TRY_TIMEOUT = Symbol('per-try timeout');

/**
 * What undici is given as the abort signal of one try: undici accepts an
 * EventEmitter with `aborted`, and it costs a fraction of an AbortController
 * (which showed as 7 % of the front door's CPU in a profile).
 */
class AttemptSignal extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}

/** What one try gave: a response, or a classified failure. */
export type Attempt =
  | { ok: true; statusCode: number; headers: Record<string, string | string[] | undefined>; body: Readable; latencyMillis: number }
  | { ok: false; kind: FailureKind; error: unknown; latencyMillis: number };

/** One try: what to send, where, and how long to wait. */
export interface AttemptInput {
  region: TrafficRegion;
  method: string;
  req: ForwardRequest;
  headers: Record<string, string | string[]>;
  held: HeldBody;
  perTryTimeoutMillis: number;
  bodyTimeoutMillis: number;
}

/** Sends one try to one region; never throws: a failure comes back classified. */
export async function sendAttempt(agent: Agent, clock: Clock, input: AttemptInput): Promise<Attempt> {
  const { region, method, req, headers, held, perTryTimeoutMillis, bodyTimeoutMillis } = input;
  const started = clock.now();
  // Our own per-try timer, on the injected clock: undici's headersTimeout ticks
  // coarsely, which fires the timeouts of a hung region's requests in bursts
  // that a retry budget then has to refuse; one timer per try fires on time.
  const perTry = new AttemptSignal();
  const timer = clock.setTimeout(() => perTry.abort(PER_TRY_TIMEOUT), perTryTimeoutMillis);
  // One signal for undici: the client's abort is forwarded into it.
  const clientAbort = (): void => perTry.abort(req.signal?.reason);
  if (req.signal?.aborted) clientAbort();
  req.signal?.addEventListener('abort', clientAbort, { once: true });
  const signal = perTry;
  try {
    const response = await request(joinUrl(region.endpoint, req.path), {
      method: method as 'GET',
      headers,
      body: held.kind === 'buffered' ? held.bytes : held.kind === 'streamed' ? held.stream : null,
      dispatcher: agent,
      bodyTimeout: bodyTimeoutMillis,
      // undici accepts an EventEmitter with `aborted`; its types name only AbortSignal.
      signal: signal as unknown as AbortSignal,
    });
    timer.cancel();
    req.signal?.removeEventListener('abort', clientAbort);
    return { ok: true, statusCode: response.statusCode, headers: response.headers, body: response.body, latencyMillis: clock.now() - started };
  } catch (error) {
    timer.cancel();
    req.signal?.removeEventListener('abort', clientAbort);
    const latencyMillis = clock.now() - started;
    if (req.signal?.aborted) return { ok: false, kind: 'aborted', error, latencyMillis };
    if (perTry.reason === PER_TRY_TIMEOUT) return { ok: false, kind: 'timeout', error: new MeridianError('TIMEOUT', `no response within ${perTryTimeoutMillis} ms`), latencyMillis };
    return { ok: false, kind: failureKind(error, false), error, latencyMillis };
  }
}

/** The region's endpoint with the request's path (and query). */
export function joinUrl(endpoint: string, path: string): string {
  return endpoint.endsWith('/') ? `${endpoint}${path.slice(1)}` : `${endpoint}${path}`;
}

// Content-Length is dropped with the hop-by-hop headers: undici sets it for a held
// body and sends a streamed one chunked, so a wrong length is never forwarded.
export function forwardHeaders(input: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  // A Connection header names further hop-by-hop headers of this hop.
  const connection = input.connection ?? input.Connection;
  const named = new Set(
    (Array.isArray(connection) ? connection.join(',') : (connection ?? ''))
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(input)) {
    const lower = name.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    out[lower] = value;
  }
  return out;
}
