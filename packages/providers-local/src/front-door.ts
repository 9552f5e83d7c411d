import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  MeridianError,
  TrafficRouter,
  type Clock,
  type Disposable,
  type EventSource,
  type Listener,
  type Metrics,
  type PassiveHealth,
  type Router,
  type TrafficEvents,
  type TrafficRegion,
  type TrafficRegionStats,
  type TrafficRetryOptions,
  type TrafficStats,
  type TrafficWeights,
  type WithErrorEvent,
} from '@meridian/core';

// Response headers that describe one hop and must not be forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Counters of one region behind the front door. */
export type FrontDoorRegionStats = TrafficRegionStats;

/** Counters of the whole front door: what clients saw and what it took. */
export type FrontDoorStats = TrafficStats;

/** Where the front door sends traffic: the deployed regions and their current weights. */
/** @internal */
export interface FrontDoorTargets {
  regions(): TrafficRegion[];
  weights(): TrafficWeights;
}

/** Options of the local front door. */
export interface FrontDoorOptions {
  /** Loopback address. Default `127.0.0.1`. */
  host?: string;
  /** Port. Default 0 (a free one). */
  port?: number;
  /** A response body that stalls this long is cut. Default 30000. */
  upstreamTimeoutMillis?: number;
  /**
   * The HealthMonitor: unhealthy and ejected regions get no requests, and every
   * attempt's outcome is reported to it (passive detection: a dead region is
   * ejected after `passive.consecutiveGatewayFailures` requests, default 3).
   * Without one, the door still retries but learns nothing between requests.
   */
  monitor?: PassiveHealth;
  /** A GeoRouter: among the regions with traffic, each client goes to its best one by geography. */
  router?: Router;
  /**
   * Proxies in front of the door whose `X-Forwarded-For` is believed (IPs or CIDRs).
   * Default none: the socket's peer is the client, and an `X-Forwarded-For` it sends is replaced.
   */
  trustedProxies?: string[];
  /** Cookie that keeps a client on the region that served it while that region takes traffic. Default `meridian-region`; `false` turns affinity off. */
  affinityCookie?: string | false;
  /** Retries on another region (defaults: 3 tries, 5 s per try, 1 MiB bodies held, budget 20 %, at least 3). */
  retry?: TrafficRetryOptions;
  /** Add `x-meridian-region` and `x-meridian-attempts` to every response. Default true. */
  responseHeaders?: boolean;
  /** Where the data-plane metrics go. */
  metrics?: Metrics;
  /** Time source. Default the system clock. */
  clock?: Clock;
}

/**
 * The local stand-in for a global load balancer: an HTTP reverse proxy on
 * loopback whose data plane is core's `TrafficRouter`. Each request goes
 * to a region chosen by the current traffic weights, health, geography and
 * affinity; a request that finds a region dead is retried on another one, and
 * every outcome feeds passive detection, so a region that dies costs no
 * request that can be retried safely. Requests in flight finish on the region
 * they started on (draining relies on that).
 */
export class FrontDoor implements EventSource<WithErrorEvent<TrafficEvents>> {
  declare readonly '~events'?: WithErrorEvent<TrafficEvents>;
  readonly #server: Server;
  readonly #traffic: TrafficRouter;
  readonly #cookie: string | false;
  readonly #responseHeaders: boolean;
  #url = '';
  #closing: Promise<void> | undefined;

  /** @internal Use `LocalProvider.startFrontDoor()`. */
  constructor(targets: FrontDoorTargets, options: FrontDoorOptions = {}) {
    const cookie = options.affinityCookie ?? 'meridian-region';
    if (cookie !== false && !(typeof cookie === 'string' && COOKIE_NAME.test(cookie))) {
      throw new MeridianError('INVALID_CONFIG', `Invalid front door options:\n  - affinityCookie: must be a cookie name (RFC 6265 token) or false (got ${JSON.stringify(cookie)})`, {
        details: { where: 'front door options', issues: [{ path: 'affinityCookie', message: 'must be a cookie name or false', value: JSON.stringify(cookie) }] },
      });
    }
    this.#cookie = cookie;
    this.#responseHeaders = options.responseHeaders ?? true;
    this.#traffic = new TrafficRouter({
      regions: () => targets.regions(),
      weights: () => targets.weights(),
      ...(options.monitor ? { monitor: options.monitor } : {}),
      ...(options.router ? { router: options.router } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
      ...(options.upstreamTimeoutMillis !== undefined ? { bodyTimeoutMillis: options.upstreamTimeoutMillis } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.#server = createServer((req, res) => void this.#proxy(req, res));
    this.#server.keepAliveTimeout = 5_000;
  }

  on<K extends keyof WithErrorEvent<TrafficEvents> & string>(name: K, listener: Listener<WithErrorEvent<TrafficEvents>[K]>): Disposable {
    return this.#traffic.on(name, listener);
  }

  once<K extends keyof WithErrorEvent<TrafficEvents> & string>(name: K, listener: Listener<WithErrorEvent<TrafficEvents>[K]>): Disposable {
    return this.#traffic.once(name, listener);
  }

  /** @internal */
  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('unexpected front door address');
    this.#url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  }

  /** Base URL clients use, e.g. `http://127.0.0.1:40001`. */
  get url(): string {
    return this.#url;
  }

  /** The data plane behind the door (stats, budget, events). */
  get traffic(): TrafficRouter {
    return this.#traffic;
  }

  /** A copy of the counters: requests, what clients saw (served, failures), retries, per region. */
  stats(): FrontDoorStats {
    return this.#traffic.stats();
  }

  /**
   * Stops accepting, ends idle connections and closes upstream sockets.
   * Idempotent (a second call waits for the first); listeners stay subscribed.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    if (!this.#server.listening) {
      await this.#traffic.close();
      return;
    }
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    setTimeout(() => this.#server.closeAllConnections(), 2_000).unref();
    await closed;
    await this.#traffic.close();
  }

  async #proxy(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const peer = req.socket.remoteAddress ?? '';
    const forwardedFor = req.headers['x-forwarded-for'];
    const trustedPeer = this.#traffic.trustedProxies.has(peer);
    const clientAddress = this.#traffic.clientAddress(peer, forwardedFor);
    const headers: Record<string, string | string[] | undefined> = { ...req.headers };
    // A client's own X-Forwarded-For is never passed on: only a trusted proxy's chain is extended.
    headers['x-forwarded-for'] = trustedPeer && forwardedFor !== undefined ? `${[forwardedFor].flat().join(', ')}, ${peer}` : peer;
    const affinity = this.#cookie === false ? undefined : readCookie(req.headers.cookie, this.#cookie);
    const aborted = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) aborted.abort();
    });
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS';
    if (!hasBody) req.resume();
    if (!(req.url ?? '').startsWith('/')) {
      this.#answer(res, 400, 'request target must be a path (origin-form)');
      return;
    }
    try {
      const response = await this.#traffic.forward({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers,
        body: hasBody ? req : undefined,
        clientAddress,
        ...(affinity !== undefined ? { affinityRegion: affinity } : {}),
        signal: aborted.signal,
      });
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      }
      if (this.#responseHeaders) {
        out['x-meridian-region'] = response.regionId;
        out['x-meridian-attempts'] = String(response.attempts);
      }
      if (this.#cookie !== false && affinity !== response.regionId && response.statusCode < 500) {
        const cookie = `${this.#cookie}=${response.regionId}; Path=/; HttpOnly; SameSite=Lax`;
        const existing = out['set-cookie'];
        out['set-cookie'] = existing === undefined ? [cookie] : [...[existing].flat(), cookie];
      }
      res.writeHead(response.statusCode, out);
      // pipe(), not stream.pipeline(): pipeline builds and aborts an AbortController
      // per call, 5 % of the door's CPU in a profile. Errors are handled here instead.
      const body = response.body;
      body.once('error', () => res.destroy());
      res.once('close', () => {
        if (!body.readableEnded) body.destroy();
      });
      body.pipe(res);
    } catch (error) {
      if (MeridianError.hasCode(error, 'ABORTED')) {
        res.destroy();
        return;
      }
      const status = MeridianError.hasCode(error, 'INVALID_CONFIG')
        ? 400
        : MeridianError.hasCode(error, 'REGION_UNAVAILABLE')
          ? (error.details as { reason?: string }).reason === 'timeout'
            ? 504
            : (error.details as { attempts?: number }).attempts === 0
              ? 503
              : 502
          : 503;
      this.#answer(res, status, error instanceof Error ? error.message : String(error));
    }
  }

  #answer(res: ServerResponse, status: number, message: string): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ error: message });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
