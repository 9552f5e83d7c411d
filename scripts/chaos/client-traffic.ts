import { startSteadyClient, type SteadyClient, type SteadyRequestRecord } from '@meridian/testkit';

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

/** Per-method counts of what the steady client's requests saw (cancelled ones and those still in flight left out). */
function countRecords(records: readonly SteadyRequestRecord[]): ClientCounts {
  const byMethod = { GET: emptyMethod(), POST: emptyMethod() };
  for (const r of records) {
    if (r.cancelled || r.doneAt === 0) continue;
    const counts = byMethod[r.method === 'POST' ? 'POST' : 'GET'];
    counts.sent++;
    if (r.ok) counts.ok++;
    else {
      counts.failed++;
      const kind = r.status !== undefined ? String(r.status) : (r.error ?? 'error');
      counts.failures[kind] = (counts.failures[kind] ?? 0) + 1;
    }
    if (r.attempts > 1) counts.retried++;
    if (r.region !== undefined && r.status !== undefined) counts.byRegion[r.region] = (counts.byRegion[r.region] ?? 0) + 1;
  }
  const { GET, POST } = byMethod;
  return { sent: GET.sent + POST.sent, ok: GET.ok + POST.ok, failed: GET.failed + POST.failed, retried: GET.retried + POST.retried, byMethod };
}

/**
 * Client traffic through the front door, as users would send it: GETs of `/`
 * and, every `postEvery`-th, a POST with a small JSON body, started at a steady
 * rate over keep-alive connections (testkit's steady client). It counts per
 * method what was sent, served (< 500), failed (>= 500, an error, or the
 * timeout), and retried by the front door, and which region served each answer.
 * It stops on `stop()`, on `signal` (requests in flight then are not counted),
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
  const client: SteadyClient | undefined =
    maxRequests === 0
      ? undefined
      : startSteadyClient({
          url: options.url,
          ratePerSecond: rate,
          maxRequests,
          timeoutMillis,
          connections: 64,
          ...(options.signal ? { signal: options.signal } : {}),
          next: (seq) => (seq % postEvery === postEvery - 1 ? { method: 'POST', path: POST_PATH, headers: POST_HEADERS, body: POST_BODY } : { method: 'GET', path: GET_PATH }),
        });
  const counts = (): ClientCounts => countRecords(client?.records ?? []);
  let stopped: Promise<ClientCounts> | undefined;
  const stop = (): Promise<ClientCounts> => (stopped ??= (async () => countRecords((await client?.stop()) ?? []))());
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
