// The chaos suite's client traffic (scripts/chaos/client-traffic.ts) against a
// loopback server whose answers are known, and the runner's client goals.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startClientTraffic } from '../../../scripts/chaos/client-traffic.js';
import { runScenario } from '../../../scripts/chaos/run-scenario.js';
import type { ClientCounts } from '../../../scripts/chaos/client-traffic.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A loopback server: `answer` gets each request with its index per method (1-based); resolves `reached(n)` once n requests arrived. */
async function serve(answer: (req: IncomingMessage, res: ServerResponse, n: number, body: string) => void): Promise<{ url: string; received: () => number; reached: (n: number) => Promise<void> }> {
  const seen = { GET: 0, POST: 0 } as Record<string, number>;
  let received = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = createServer((req, res) => {
    received++;
    for (const w of waiters.filter((w) => received >= w.n)) w.resolve();
    const n = (seen[req.method!] = (seen[req.method!] ?? 0) + 1);
    let body = '';
    req.on('data', (chunk: Buffer) => void (body += chunk.toString()));
    req.on('end', () => answer(req, res, n, body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => received,
    reached: (n) => (received >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

describe('chaos client traffic', () => {
  it('counts per method: served, failed (5xx, timeout), retried (x-meridian-attempts), served-by region; stops at maxRequests', async () => {
    const server = await serve((req, res, n, body) => {
      if (req.method === 'POST') {
        const good = req.headers['content-type'] === 'application/json' && Array.isArray(JSON.parse(body).keys);
        res.writeHead(good ? 200 : 500, { 'x-meridian-region': 'us-east' }).end();
      } else if (n === 4) {
        // never answered: the client's timeout
      } else if (n % 6 === 0) res.writeHead(503).end(); // the front door's own error: no region
      else if (n % 6 === 1) res.writeHead(200, { 'x-meridian-region': 'eu-west', 'x-meridian-attempts': '2' }).end();
      else res.writeHead(200, { 'x-meridian-region': 'us-east' }).end('{}');
    });
    const traffic = startClientTraffic({ url: server.url, ratePerSecond: 400, maxRequests: 20, timeoutMillis: 300 });
    await server.reached(20);
    const counts = await traffic.stop(); // waits for the hung one's timeout
    expect(server.received()).toBe(20);
    expect(counts).toEqual<ClientCounts>({
      sent: 20,
      ok: 16,
      failed: 4,
      retried: 3,
      byMethod: {
        GET: { sent: 18, ok: 14, failed: 4, retried: 3, byRegion: { 'eu-west': 3, 'us-east': 11 }, failures: { '503': 3, timeout: 1 } },
        POST: { sent: 2, ok: 2, failed: 0, retried: 0, byRegion: { 'us-east': 2 }, failures: {} },
      },
    });
    expect(await traffic.stop()).toEqual(counts); // idempotent
  });

  it('a refused connection is a failure; the signal cancels requests in flight without counting them', async () => {
    const refused = startClientTraffic({ url: 'http://127.0.0.1:1', ratePerSecond: 100, maxRequests: 1 }); // the first is sent at once
    const none = await refused.stop();
    expect(none.byMethod.GET).toMatchObject({ sent: 1, failed: 1, failures: { ECONNREFUSED: 1 } });

    const hung = await serve(() => undefined);
    const controller = new AbortController();
    const traffic = startClientTraffic({ url: hung.url, ratePerSecond: 200, maxRequests: 3, timeoutMillis: 10_000, signal: controller.signal });
    await hung.reached(3);
    controller.abort();
    const counts = await traffic.stop();
    expect(counts).toMatchObject({ sent: 0, ok: 0, failed: 0 });
  });
});

describe('chaos client goals', () => {
  const clients = (getsFailed: number, postsFailed: number): ClientCounts => {
    const method = (failed: number) => ({ sent: 10, ok: 10 - failed, failed, retried: 0, byRegion: {}, failures: {} });
    return { sent: 20, ok: 20 - getsFailed - postsFailed, failed: getsFailed + postsFailed, retried: 0, byMethod: { GET: method(getsFailed), POST: method(postsFailed) } };
  };
  const scenario = (measured: ReturnType<typeof clients> | { notApplicable: string }, clientGoals?: { maxFailedGets?: number; maxFailedPosts?: number }) => ({
    id: 'goals',
    title: 'goals',
    expected: 'x',
    deadlineMillis: 1_000,
    ...(clientGoals ? { clientGoals } : {}),
    run: async () => ({ reactionSeen: true, reaction: 'x', lost: 0, checked: 1, clients: measured }),
  });

  it('a scenario whose client failures exceed its goals fails, naming the count; without goals they are only reported', async () => {
    expect(await runScenario(scenario(clients(3, 1)))).toMatchObject({ outcome: 'pass', clients: { failed: 4 } });
    expect(await runScenario(scenario(clients(0, 1), { maxFailedGets: 0 }))).toMatchObject({ outcome: 'pass' });
    expect(await runScenario(scenario(clients(3, 1), { maxFailedGets: 0, maxFailedPosts: 1 }))).toMatchObject({
      outcome: 'fail',
      error: '3 of 10 client GETs failed (goal: at most 0)',
    });
    expect(await runScenario(scenario(clients(0, 2), { maxFailedPosts: 0 }))).toMatchObject({ outcome: 'fail', error: '2 of 10 client POSTs failed (goal: at most 0)' });
    expect(await runScenario(scenario({ notApplicable: 'no regions' }, { maxFailedGets: 0 }))).toMatchObject({
      outcome: 'fail',
      error: 'client goals set but no client traffic measured (no regions)',
    });
  });
});
