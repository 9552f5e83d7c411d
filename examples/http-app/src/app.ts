import type { Server } from 'node:http';
import { MeridianError } from '@meridian/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Meridian } from './meridian.js';

const STATUS_BY_CODE: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  INVALID_CONFIG: 400,
  REGION_NOT_FOUND: 404,
  REGION_UNAVAILABLE: 409,
  FAILOVER_IN_PROGRESS: 409,
  LEASE_HELD: 409,
  NO_ELIGIBLE_REGION: 503,
  FAILOVER_FAILED: 502,
};

/**
 * The HTTP face of the app: a routing API, status, planned failover and drills,
 * and Meridian's events streamed as Server-Sent Events. Meridian errors map to
 * HTTP statuses by their stable code.
 */
export function createApp(meridian: Meridian): express.Express {
  const { router, monitor, failover } = meridian;
  const app = express();
  app.use(express.json({ limit: '16kb' }));

  // Where should this client go? The client IP comes from the query (demo) or the socket.
  app.get('/route', (req, res) => {
    const ip = typeof req.query.ip === 'string' ? req.query.ip : (req.socket.remoteAddress ?? '');
    const sessionId = typeof req.query.session === 'string' ? req.query.session : undefined;
    res.json(router.route({ ip, ...(sessionId ? { sessionId } : {}) }));
  });

  app.get('/status', (_req, res) => {
    res.json({ health: monitor.snapshot(), failover: failover.status() });
  });

  app.post('/failover', async (req, res) => {
    const to = String(req.body?.to ?? '');
    const report = await failover.failover({ to, drain: req.body?.drain === true, reason: 'requested over HTTP' });
    res.json(report);
  });

  app.post('/drill', async (req, res) => {
    const report = await failover.drill({ to: String(req.body?.to ?? ''), durationMillis: Number(req.body?.durationMillis ?? 1_000) });
    res.json(report);
  });

  // Meridian events, as they happen, for dashboards and ops tooling.
  app.get('/events', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string) => (payload: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`);
    const subs = [
      monitor.on('region:healthy', send('region:healthy')),
      monitor.on('region:degraded', send('region:degraded')),
      monitor.on('region:unhealthy', send('region:unhealthy')),
      failover.on('failover:started', send('failover:started')),
      failover.on('failover:completed', send('failover:completed')),
      failover.on('failover:failed', send('failover:failed')),
      failover.on('drill:completed', send('drill:completed')),
    ];
    res.write(': connected\n\n');
    req.on('close', () => subs.forEach((s) => s.dispose()));
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (MeridianError.isInstance(error)) {
      res.status(STATUS_BY_CODE[error.code] ?? 500).json({ code: error.code, message: error.message });
      return;
    }
    res.status(500).json({ code: 'INTERNAL', message: 'unexpected error' });
  });
  return app;
}

/** Listens on loopback; resolves with the base URL and a close function. */
export async function listen(app: express.Express, port = 0): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
