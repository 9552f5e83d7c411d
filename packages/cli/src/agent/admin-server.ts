import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PrometheusMetrics } from '@meridian/metrics-prometheus';
import { errorBody, HttpError } from './http-errors.js';
import type { Log } from './logger.js';
import { bearerToken, tokensEqual } from './token.js';

const MAX_BODY_BYTES = 1024 * 1024;

/** What a route answers: JSON, or a stream of NDJSON events ending in a `result` or `error` line. */
export type Reply = { status?: number; json: unknown } | { stream: (send: (event: Record<string, unknown>) => void) => Promise<unknown> };

/** A request as routes see it. */
export interface RouteContext {
  /** Path parameters, decoded. */
  params: string[];
  /** Query string. */
  query: URLSearchParams;
  /** The JSON body (`{}` when empty); 400 when it is not JSON. */
  body(): Promise<unknown>;
}

/** One admin API route. */
export interface Route {
  /** HTTP method. */
  method: 'GET' | 'POST' | 'PUT';
  /** Path pattern; capture groups become `params`. */
  path: RegExp;
  /** The handler. */
  handle(ctx: RouteContext): Promise<Reply>;
}

/**
 * The admin HTTP API: every `/v1/*` route needs `Authorization: Bearer <token>`
 * (401 otherwise, compared in constant time); `/metrics` is open, in
 * Prometheus text format. Errors are JSON `{ error: { code, message } }`.
 */
export function createAdminServer(options: { routes: Route[]; token: string; metrics: PrometheusMetrics; log: Log }): {
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
} {
  const { routes, token, metrics, log } = options;
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      log(`admin: ${req.method} ${req.url}: ${(error as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, errorBody(error).body);
      else res.end();
    });
  });
  server.keepAliveTimeout = 1_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://agent');
    if (url.pathname === '/metrics' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': metrics.contentType });
      res.end(await metrics.metrics());
      return;
    }
    if (url.pathname.startsWith('/v1/')) {
      const presented = bearerToken(req.headers.authorization);
      if (presented === undefined || !tokensEqual(presented, token)) {
        res.setHeader('www-authenticate', 'Bearer realm="meridian-agent"');
        sendJson(res, 401, { error: { code: 'UNAUTHORIZED', message: `${presented === undefined ? 'no' : 'wrong'} bearer token; the agent's token is in .meridian/agent.json in its working directory (or MERIDIAN_ADMIN_TOKEN, if it was started with one)` } });
        return;
      }
    }
    const matching = routes.map((route) => ({ route, match: route.path.exec(url.pathname) })).filter((m) => m.match);
    const found = matching.find((m) => m.route.method === req.method);
    if (!found) {
      const status = matching.length > 0 ? 405 : 404;
      sendJson(res, status, { error: { code: status === 405 ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND', message: `${req.method} ${url.pathname} is not a route of the admin API` } });
      return;
    }
    const ctx: RouteContext = {
      params: found.match!.slice(1).map((p) => decodeURIComponent(p ?? '')),
      query: url.searchParams,
      body: () => readJson(req),
    };
    let reply: Reply;
    try {
      reply = await found.route.handle(ctx);
    } catch (error) {
      const { status, body } = errorBody(error);
      sendJson(res, status, body);
      return;
    }
    if ('json' in reply) {
      sendJson(res, reply.status ?? 200, reply.json);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    const send = (event: Record<string, unknown>): void => {
      if (!res.destroyed) res.write(`${JSON.stringify(event)}\n`);
    };
    try {
      send({ type: 'result', result: await reply.stream(send) });
    } catch (error) {
      const { status, body } = errorBody(error);
      send({ type: 'error', status, ...body });
    }
    res.end();
  }

  return {
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`http://${shown}:${address.port}`);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'INVALID_ARGUMENT', `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'INVALID_ARGUMENT', 'request body is not JSON');
  }
}
