import { Agent, request, type Dispatcher } from 'undici';

/** Counts of one HTTP method's client requests. */
export interface MethodCounts {
  /** Requests that were answered or failed (`ok + failed`); those cancelled through `signal` are not counted. */
  sent: number;
  /** Answered below 500. */
  ok: number;
  /** Answered 500 or above, or no answer (refused, reset, past the per-request timeout). */
  failed: number;
  /** Answers whose `x-meridian-attempts` is above 1 (no header counts as one attempt). */
  retried: number;
  /** Answers by the region that served them (`x-meridian-region`); the front door's own errors carry none. */
  byRegion: Record<string, number>;
  /** Failures by kind: the status (`"502"`) or the error (`"timeout"`, `"ECONNRESET"`). */
  failures: Record<string, number>;
}

/** What the clients saw through the front door. */
export interface ClientCounts {
  sent: number;
  ok: number;
  failed: number;
  retried: number;
  byMethod: { GET: MethodCounts; POST: MethodCounts };
}

/** Options of {@link startClientTraffic}. */
export interface ClientTrafficOptions {
  /** Base URL of the front door, e.g. `http://127.0.0.1:40001`. */
  url: string;
  /** Requests started per second, whatever the answers take (open loop). Default 50. */
  ratePerSecond?: number;
  /** Every `postEvery`-th request is a POST. Default 10. */
  postEvery?: number;
  /** A request without a complete answer within this has failed. Default 3000. */
  timeoutMillis?: number;
  /** Sends no more than this many requests. Default a minute's worth (`ratePerSecond × 60`), past any scenario's deadline. */
  maxRequests?: number;
  /** Cancels the traffic: no more requests, those in flight cut short and not counted (an overrun scenario). */
  signal?: AbortSignal;
  /** Where the requests go; default a keep-alive Agent of its own, closed by `stop()`. */
  dispatcher?: Dispatcher;
}

/** A steady stream of client requests; see {@link startClientTraffic}. */
export interface ClientTraffic {
  /** A copy of the counts so far. */
  counts(): ClientCounts;
  /**
   * Stops sending, waits for the requests in flight (each bounded by the
   * timeout, so a hung region's count as failed), closes its Agent; the final
   * counts. Idempotent.
   */
  stop(): Promise<ClientCounts>;
}

/** Client requests per second when not told otherwise. */
export const DEFAULT_CLIENT_RATE = 50;

const GET_PATH = '/';
// A read-only POST with a JSON body that every region serves: the replica API's `get` of a key no one writes.
const POST_PATH = '/replica/get';
const POST_HEADERS = { 'content-type': 'application/json', 'x-meridian-replica-protocol': '1' };
const POST_BODY = JSON.stringify({ keys: ['chaos-client:probe'] });

function emptyMethod(): MethodCounts {
  return { sent: 0, ok: 0, failed: 0, retried: 0, byRegion: {}, failures: {} };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function failureKind(error: unknown): string {
  const e = error as { name?: string; code?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError') return 'timeout';
  return e?.code ?? e?.cause?.code ?? e?.name ?? 'error';
}

/**
 * Client traffic through the front door, as users would send it: GETs of `/`
 * and, every `postEvery`-th, a POST with a small JSON body, started at a steady
 * rate over keep-alive connections. It counts per method what was sent, served
 * (< 500), failed (>= 500, an error, or the timeout), and retried by the front
 * door, and which region served each answer. It stops on `stop()`, on `signal`,
 * or after `maxRequests`; its timer never holds the process open.
 */
export function startClientTraffic(options: ClientTrafficOptions): ClientTraffic {
  const rate = options.ratePerSecond ?? DEFAULT_CLIENT_RATE;
  const postEvery = options.postEvery ?? 10;
  const timeoutMillis = options.timeoutMillis ?? 3_000;
  const maxRequests = options.maxRequests ?? rate * 60;
  if (!(rate > 0 && Number.isInteger(postEvery) && postEvery >= 1 && timeoutMillis > 0 && maxRequests >= 0)) {
    throw new Error(`client traffic: invalid options ${JSON.stringify({ rate, postEvery, timeoutMillis, maxRequests })}`);
  }
  const ownAgent = options.dispatcher ? undefined : new Agent({ keepAliveTimeout: 4_000 });
  const dispatcher = options.dispatcher ?? ownAgent!;
  const sending = new AbortController();
  const cancel = new AbortController();
  const byMethod = { GET: emptyMethod(), POST: emptyMethod() };
  const inFlight = new Set<Promise<void>>();
  let started = 0;

  const send = async (method: 'GET' | 'POST'): Promise<void> => {
    const counts = byMethod[method];
    const signal = AbortSignal.any([cancel.signal, AbortSignal.timeout(timeoutMillis)]);
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    try {
      const response = await request(`${options.url}${method === 'GET' ? GET_PATH : POST_PATH}`, {
        method,
        dispatcher,
        signal,
        ...(method === 'POST' ? { headers: POST_HEADERS, body: POST_BODY } : {}),
      });
      await response.body.arrayBuffer(); // the signal bounds the body too
      status = response.statusCode;
      headers = response.headers;
    } catch (error) {
      if (cancel.signal.aborted) return; // cancelled: neither served nor failed
      counts.sent++;
      counts.failed++;
      const kind = failureKind(signal.reason ?? error);
      counts.failures[kind] = (counts.failures[kind] ?? 0) + 1;
      return;
    }
    counts.sent++;
    if (status >= 500) {
      counts.failed++;
      counts.failures[String(status)] = (counts.failures[String(status)] ?? 0) + 1;
    } else counts.ok++;
    if (Number(header(headers['x-meridian-attempts']) ?? '1') > 1) counts.retried++;
    const region = header(headers['x-meridian-region']);
    if (region) counts.byRegion[region] = (counts.byRegion[region] ?? 0) + 1;
  };

  // Requests are due at a steady rate from the start; each tick sends those due, so timer drift does not lower the rate.
  const startedAt = performance.now();
  const tick = (): void => {
    const due = Math.min(maxRequests, Math.floor(((performance.now() - startedAt) * rate) / 1_000) + 1);
    while (started < due && !sending.signal.aborted) {
      const method = started % postEvery === postEvery - 1 ? 'POST' : 'GET';
      started++;
      const pending = send(method);
      inFlight.add(pending);
      void pending.finally(() => inFlight.delete(pending));
    }
    if (started >= maxRequests) clearInterval(timer);
  };
  const timer = setInterval(tick, Math.max(5, Math.min(50, 1_000 / rate)));
  timer.unref();
  tick();

  const counts = (): ClientCounts => {
    const { GET, POST } = structuredClone(byMethod);
    return { sent: GET.sent + POST.sent, ok: GET.ok + POST.ok, failed: GET.failed + POST.failed, retried: GET.retried + POST.retried, byMethod: { GET, POST } };
  };
  let stopped: Promise<ClientCounts> | undefined;
  const stop = (): Promise<ClientCounts> =>
    (stopped ??= (async () => {
      clearInterval(timer);
      sending.abort();
      await Promise.allSettled([...inFlight]);
      options.signal?.removeEventListener('abort', onCancel);
      await ownAgent?.close().catch(() => undefined);
      return counts();
    })());
  const onCancel = (): void => {
    cancel.abort(options.signal?.reason);
    void stop();
  };
  options.signal?.addEventListener('abort', onCancel, { once: true });
  if (options.signal?.aborted) onCancel();
  return { counts, stop };
}

/** One line for a scenario's log: per method sent / failed (by kind) / retried, and who served. */
export function describeClientCounts(c: ClientCounts): string {
  const method = (name: string, m: MethodCounts): string => {
    const kinds = Object.entries(m.failures).map(([k, n]) => `${k}×${n}`).join(' ');
    const served = Object.entries(m.byRegion).map(([r, n]) => `${r} ${n}`).join(', ');
    return `${name} ${m.sent} sent, ${m.failed} failed${kinds ? ` (${kinds})` : ''}, ${m.retried} retried; served by ${served || 'none'}`;
  };
  return `clients: ${method('GET', c.byMethod.GET)} | ${method('POST', c.byMethod.POST)}`;
}
