import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent, request } from 'undici';

// Headers that describe one hop and must not be forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

/** Counters of one region behind the front door. */
export interface FrontDoorRegionStats {
  /** Requests sent to the region. */
  requests: number;
  /** Requests the client saw fail (upstream unreachable, timed out, or 5xx). */
  failures: number;
}

/** Counters of the whole front door. */
export interface FrontDoorStats {
  /** Requests received. */
  requests: number;
  /** Requests the client saw fail (502/503/504 from the door, or a 5xx from a region). */
  failures: number;
  /** Per region. */
  byRegion: Record<string, FrontDoorRegionStats>;
}

/** Where the front door sends traffic: current weights and region endpoints. */
/** @internal */
export interface FrontDoorTargets {
  weights(): Record<string, number>;
  endpoint(regionId: string): string | undefined;
  pick(weights: Record<string, number>): string | undefined;
}

/** Options of the local front door. */
export interface FrontDoorOptions {
  /** Loopback address. Default `127.0.0.1`. */
  host?: string;
  /** Port. Default 0 (a free one). */
  port?: number;
  /** An upstream that sends no headers within this is answered 504. Default 30000. */
  upstreamTimeoutMillis?: number;
}

/**
 * The local stand-in for a global load balancer: an HTTP reverse proxy on
 * loopback that sends each request to a region chosen by the current traffic
 * weights, so a failover is visible to real clients. Requests already in flight
 * finish on the region they started on (that is what draining relies on).
 */
export class FrontDoor {
  readonly #server: Server;
  readonly #agent: Agent;
  readonly #targets: FrontDoorTargets;
  readonly #stats: FrontDoorStats = { requests: 0, failures: 0, byRegion: {} };
  #url = '';

  /** @internal Use `LocalProvider.startFrontDoor()`. */
  constructor(targets: FrontDoorTargets, options: FrontDoorOptions = {}) {
    this.#targets = targets;
    const timeout = options.upstreamTimeoutMillis ?? 30_000;
    this.#agent = new Agent({ keepAliveTimeout: 10_000, connections: 64, headersTimeout: timeout, bodyTimeout: timeout });
    this.#server = createServer((req, res) => void this.#proxy(req, res));
    this.#server.keepAliveTimeout = 5_000;
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
    this.#url = `http://${host}:${address.port}`;
  }

  /** Base URL clients use, e.g. `http://127.0.0.1:40001`. */
  get url(): string {
    return this.#url;
  }

  /** A copy of the counters. */
  stats(): FrontDoorStats {
    return structuredClone(this.#stats);
  }

  /** Stops accepting, ends idle connections and closes upstream sockets. Idempotent. */
  async close(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    setTimeout(() => this.#server.closeAllConnections(), 2_000).unref();
    await closed;
    await this.#agent.close().catch(() => undefined);
  }

  async #proxy(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#stats.requests++;
    const regionId = this.#targets.pick(this.#targets.weights());
    const endpoint = regionId === undefined ? undefined : this.#targets.endpoint(regionId);
    if (regionId === undefined || endpoint === undefined) {
      this.#fail(res, 503, 'no deployed region has traffic weight');
      req.resume();
      return;
    }
    const regionStats = (this.#stats.byRegion[regionId] ??= { requests: 0, failures: 0 });
    regionStats.requests++;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    try {
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      const upstream = await request(`${endpoint}${req.url ?? '/'}`, {
        method: (req.method ?? 'GET') as 'GET',
        headers,
        body: hasBody ? req : null,
        dispatcher: this.#agent,
      });
      if (upstream.statusCode >= 500) {
        this.#stats.failures++;
        regionStats.failures++;
      }
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(upstream.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      }
      res.writeHead(upstream.statusCode, out);
      for await (const chunk of upstream.body) res.write(chunk);
      res.end();
    } catch (error) {
      const code = (error as { code?: string }).code;
      const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
      regionStats.failures++;
      this.#fail(res, timedOut ? 504 : 502, `region ${regionId} failed: ${code ?? (error as Error).message}`);
    }
  }

  #fail(res: ServerResponse, status: number, message: string): void {
    this.#stats.failures++;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ error: message });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  }
}
