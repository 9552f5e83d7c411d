import { createServer, type Server } from 'node:net';
import { startScriptedServer, type ScriptedServer } from '@meridian/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manual-clock.js';
import { MeridianError } from '../errors/meridian-error.js';
import { HealthMonitor } from '../health/health-monitor.js';
import type { HealthMonitorOptions } from '../health/health-options.js';
import { MemoryMetrics } from '../metrics/memory-metrics.js';
import type { TrafficRouterOptions } from './traffic-options.js';
import { TrafficRouter } from './traffic-router.js';
import type { RequestFailedEvent, RequestRetriedEvent } from './traffic-types.js';

// Real sockets on loopback (scripted servers, a closed port, a server that
// answers garbage); passive detection on a HealthMonitor that is not started,
// so only the data plane's reports move region health.
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function servers(n: number): Promise<ScriptedServer[]> {
  const list = await Promise.all(Array.from({ length: n }, () => startScriptedServer()));
  cleanups.push(() => Promise.all(list.map((s) => s.close())));
  return list;
}

/** A port nothing listens on: connections are refused, as to a SIGKILLed region. */
async function deadEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

function router(
  regions: Array<{ id: string; endpoint: string; priority?: number }>,
  options: Partial<TrafficRouterOptions> = {},
  monitorOptions: Partial<HealthMonitorOptions> = {},
) {
  const clock = new ManualClock(1_700_000_000_000);
  const monitor = new HealthMonitor({ regions, intervalMillis: 1_000, timeoutMillis: 500, clock, ...monitorOptions });
  const traffic = new TrafficRouter({ regions, monitor, clock, ...options });
  const retried: RequestRetriedEvent[] = [];
  const failed: RequestFailedEvent[] = [];
  traffic.on('request:retried', (e) => retried.push(e));
  traffic.on('request:failed', (e) => failed.push(e));
  cleanups.push(() => traffic.close());
  return { traffic, monitor, clock, retried, failed };
}

async function send(traffic: TrafficRouter, method = 'GET', body?: string | Buffer, path = '/x') {
  const res = await traffic.forward({ method, path, ...(body !== undefined ? { body } : {}) });
  const text = await res.body.setEncoding('utf8').toArray();
  return { status: res.statusCode, region: res.regionId, attempts: res.attempts, choice: res.choice, body: text.join('') };
}

describe('TrafficRouter: retries on another region', () => {
  it('a refused connection is retried on the next region whatever the method: nothing of it was sent', async () => {
    const [b] = await servers(1);
    const t = router(
      [
        { id: 'a', endpoint: await deadEndpoint() },
        { id: 'b', endpoint: b!.url },
      ],
      { weights: () => ({ a: 1, b: 0 }) },
    );
    const post = await send(t.traffic, 'POST', '{"order":1}');
    expect(post).toMatchObject({ status: 200, region: 'b', attempts: 2 });
    expect(b!.received).toEqual([expect.objectContaining({ method: 'POST', body: '{"order":1}' })]);
    expect(t.retried).toEqual([expect.objectContaining({ from: 'a', reason: 'connect', attempt: 1, method: 'POST' })]);
    // Two more refusals eject a: the next request goes to b at once, without a retry.
    await send(t.traffic);
    await send(t.traffic);
    expect(t.monitor.get('a')).toMatchObject({ state: 'unhealthy', ejectionRule: 'consecutive-gateway-failures' });
    expect(await send(t.traffic)).toMatchObject({ region: 'b', attempts: 1, choice: 'spillover' });
    expect(t.traffic.stats()).toMatchObject({ requests: 4, served: 4, failures: 0, retried: 3, retries: 3 });
    expect(t.traffic.stats().byRegion.a).toMatchObject({ requests: 3, failures: 3, gatewayFailures: 3, retriedAway: 3, served: 0 });
  });

  it('idempotent requests are retried on a retryable status, a reset, garbage or a timeout; others are not', async () => {
    const [a, b] = await servers(2);
    const t = router(
      [
        { id: 'a', endpoint: a!.url },
        { id: 'b', endpoint: b!.url },
      ],
      { weights: () => ({ a: 1, b: 0 }), retry: { perTryTimeoutMillis: 300 } },
      // Keep a in rotation through the whole script: this test is about retries, not ejection.
      { passive: { consecutiveGatewayFailures: 100, consecutiveFailures: 100 } },
    );
    a!.queue({ kind: 'status', status: 503 });
    expect(await send(t.traffic, 'GET')).toMatchObject({ status: 200, region: 'b', attempts: 2 });
    a!.queue({ kind: 'reset' });
    expect(await send(t.traffic, 'PUT', 'v')).toMatchObject({ status: 200, region: 'b', attempts: 2 });
    a!.queue({ kind: 'garbage' });
    expect(await send(t.traffic, 'DELETE')).toMatchObject({ status: 200, region: 'b', attempts: 2 });
    a!.queue({ kind: 'hang' });
    const seen = a!.requests;
    const hung = send(t.traffic, 'GET');
    while (a!.requests === seen) await new Promise((r) => setTimeout(r, 2));
    // The per-try timeout runs on the injected clock: 299 ms is not enough, 300 is.
    t.clock.advance(299);
    await new Promise((r) => setTimeout(r, 20));
    expect(b!.requests).toBe(3);
    t.clock.advance(1);
    expect(await hung).toMatchObject({ status: 200, region: 'b', attempts: 2 });
    expect(t.retried.map((r) => r.reason)).toEqual(['status', 'reset', 'protocol', 'timeout']);

    // Not idempotent: the region may have acted on it, so the client gets what happened.
    a!.queue({ kind: 'status', status: 503, body: 'busy' });
    expect(await send(t.traffic, 'POST', 'x')).toMatchObject({ status: 503, region: 'a', attempts: 1, body: 'busy' });
    a!.queue({ kind: 'reset' });
    await expect(send(t.traffic, 'POST', 'x')).rejects.toSatisfy(
      (e) => MeridianError.hasCode(e, 'REGION_UNAVAILABLE') && (e as MeridianError).details.notRetried === 'not-idempotent',
    );
    // A status not in retryOnStatus is the answer.
    a!.queue({ kind: 'status', status: 501 });
    expect(await send(t.traffic, 'GET')).toMatchObject({ status: 501, attempts: 1 });
    expect(t.failed.map((f) => [f.reason, f.notRetried])).toEqual([
      ['status', 'not-idempotent'],
      ['reset', 'not-idempotent'],
      ['status', 'not-idempotent'],
    ]);
    expect(t.traffic.stats()).toMatchObject({ requests: 7, served: 4, failures: 3, retried: 4 });
  });

  it('bodies up to the cap are replayed intact; a larger one is streamed once, never buffered past the cap, never retried', async () => {
    const [a, b] = await servers(2);
    const t = router(
      [
        { id: 'a', endpoint: a!.url },
        { id: 'b', endpoint: b!.url },
      ],
      { weights: () => ({ a: 1, b: 0 }), retry: { maxBufferedBodyBytes: 1024 } },
    );
    const small = 'x'.repeat(1024);
    a!.queue({ kind: 'status', status: 502 });
    expect(await send(t.traffic, 'PUT', small)).toMatchObject({ status: 200, region: 'b', attempts: 2 });
    expect(a!.received.at(-1)!.body).toBe(small);
    expect(b!.received.at(-1)!.body).toBe(small);

    const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(1024, 97 + (i % 26)));
    async function* big() {
      yield* chunks;
    }
    a!.queue({ kind: 'status', status: 502 });
    const res = await t.traffic.forward({ method: 'PUT', path: '/big', body: big() });
    await res.body.toArray();
    expect(res).toMatchObject({ statusCode: 502, regionId: 'a', attempts: 1 });
    expect(a!.received.at(-1)!.body).toBe(Buffer.concat(chunks).toString());
    expect(b!.received.filter((r) => r.path === '/big')).toEqual([]);
    expect(t.failed.at(-1)).toMatchObject({ notRetried: 'body-too-large', status: 502 });
  });

  it('stops at maxAttempts and when no other region is left, answering with the last region answer', async () => {
    const list = await servers(4);
    for (const s of list) s.set({ kind: 'status', status: 503 });
    const regions = list.map((s, i) => ({ id: `r${i}`, endpoint: s.url }));
    const t = router(regions, { retry: { maxAttempts: 3 } });
    expect(await send(t.traffic)).toMatchObject({ status: 503, attempts: 3 });
    expect(t.failed.at(-1)).toMatchObject({ notRetried: 'max-attempts', tried: expect.any(Array) });
    expect(new Set(t.failed.at(-1)!.tried).size).toBe(3);
    const two = router(regions.slice(0, 2), { retry: { maxAttempts: 5 } });
    expect(await send(two.traffic)).toMatchObject({ status: 503, attempts: 2 });
    expect(two.failed.at(-1)).toMatchObject({ notRetried: 'no-other-region' });
  });

  it('the retry budget refuses retries past its share and says so', async () => {
    const [a, b] = await servers(2);
    const t = router(
      [
        { id: 'a', endpoint: a!.url },
        { id: 'b', endpoint: b!.url },
      ],
      { weights: () => ({ a: 1, b: 0 }), retry: { budget: { percent: 0.2, minConcurrency: 0, queueMillis: 250 } } },
    );
    a!.queue({ kind: 'status', status: 503 });
    // One request in flight: 20 % of 1 is 0 retries. It waits 250 ms (virtual) for a slot, then fails.
    const pending = send(t.traffic);
    while (t.traffic.budget().queued === 0) await new Promise((r) => setTimeout(r, 2));
    t.clock.advance(250);
    expect(await pending).toMatchObject({ status: 503, attempts: 1 });
    expect(t.failed.at(-1)).toMatchObject({ notRetried: 'budget' });
    expect(t.traffic.stats().budgetExhausted).toBe(1);
    expect(t.traffic.budget()).toEqual({ active: 0, retrying: 0, exhausted: 1, queued: 1 });
  });
});

describe('TrafficRouter: choice of region', () => {
  it('spreads by weight, keeps affinity while the region takes traffic, and spills over by priority', async () => {
    const list = await servers(3);
    let weights: Record<string, number> = { a: 3, b: 1, c: 0 };
    const t = router(
      [
        { id: 'a', endpoint: list[0]!.url, priority: 1 },
        { id: 'b', endpoint: list[1]!.url, priority: 1 },
        { id: 'c', endpoint: list[2]!.url, priority: 0 },
      ],
      { weights: () => weights },
    );
    const counts: Record<string, number> = {};
    for (let i = 0; i < 8; i++) {
      const { region } = await send(t.traffic);
      counts[region] = (counts[region] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 6, b: 2 });
    const sticky = await t.traffic.forward({ method: 'GET', path: '/', affinityRegion: 'b' });
    await sticky.body.toArray();
    expect(sticky).toMatchObject({ regionId: 'b', choice: 'affinity' });
    // Affinity to a region without traffic is broken, not honoured.
    const broken = await t.traffic.forward({ method: 'GET', path: '/', affinityRegion: 'c' });
    await broken.body.toArray();
    expect(broken.choice).toBe('weight');
    weights = { a: 0, b: 0, c: 0 };
    expect(await send(t.traffic)).toMatchObject({ region: 'c', choice: 'spillover' });
  });

  it('panic: when every region is unhealthy, requests still go out (health ignored) and the panic is said once', async () => {
    const [a, b] = await servers(2);
    const t = router(
      [
        { id: 'a', endpoint: a!.url },
        { id: 'b', endpoint: b!.url },
      ],
      { retry: { maxAttempts: 1 } },
      { passive: { maxEjectionPercent: 100 } },
    );
    const panics: unknown[] = [];
    t.traffic.on('traffic:panic', (e) => panics.push(e));
    t.traffic.on('traffic:panic-ended', (e) => panics.push(e));
    for (const id of ['a', 'b']) for (let i = 0; i < 10; i++) t.monitor.report(id, { ok: false, status: 500 });
    expect(t.monitor.snapshot().map((h) => h.state)).toEqual(['unhealthy', 'unhealthy']);
    expect(await send(t.traffic)).toMatchObject({ status: 200, choice: 'panic' });
    expect(await send(t.traffic)).toMatchObject({ status: 200, choice: 'panic' });
    expect(panics).toEqual([{ regions: ['a', 'b'], at: t.clock.now() }]);
    expect(t.traffic.stats().panicRequests).toBe(2);
    t.clock.advance(30_000);
    expect(await send(t.traffic)).toMatchObject({ choice: 'weight' });
    expect(panics).toHaveLength(2);
  });
});

describe('TrafficRouter: outcomes, metrics and bad input', () => {
  it('counts what clients saw and records metrics per region', async () => {
    const [a] = await servers(1);
    const metrics = new MemoryMetrics();
    const t = router([{ id: 'a', endpoint: a!.url }], { metrics });
    a!.queue({ kind: 'status', status: 500 });
    await send(t.traffic);
    await send(t.traffic);
    expect(metrics.value('meridian_upstream_requests_total', { region: 'a', outcome: 'error' })).toBe(1);
    expect(metrics.value('meridian_upstream_requests_total', { region: 'a', outcome: 'ok' })).toBe(1);
    expect(metrics.value('meridian_client_requests_total', { outcome: 'failed' })).toBe(1);
    expect(metrics.value('meridian_client_requests_total', { outcome: 'served' })).toBe(1);
  });

  it('a region answering garbage is a counted failure, never a crash or a hang', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const junk: Server = createServer((socket) => {
      sockets.add(socket);
      socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.2\r\n'));
    });
    await new Promise<void>((r) => junk.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => junk.close(r));
    });
    const t = router([{ id: 'a', endpoint: `http://127.0.0.1:${(junk.address() as { port: number }).port}` }]);
    await expect(send(t.traffic)).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'REGION_UNAVAILABLE') && /protocol/.test((e as Error).message));
    expect(t.traffic.stats()).toMatchObject({ failures: 1, served: 0 });
    expect(t.monitor.get('a').passiveConsecutiveGatewayFailures).toBe(1);
  });

  it('an aborted client is not a region failure', async () => {
    const [a] = await servers(1);
    a!.set({ kind: 'hang' });
    const t = router([{ id: 'a', endpoint: a!.url }]);
    const controller = new AbortController();
    const pending = t.traffic.forward({ method: 'GET', path: '/', signal: controller.signal });
    while (a!.requests === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await expect(pending).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'ABORTED'));
    expect(t.traffic.stats()).toMatchObject({ aborted: 1, failures: 0 });
    expect(t.monitor.get('a').passiveConsecutiveFailures).toBe(0);
  });

  it('refuses bad options and requests with a coded error naming the field', async () => {
    const bad = (options: Partial<TrafficRouterOptions>) => {
      try {
        new TrafficRouter({ regions: [{ id: 'a', endpoint: 'http://127.0.0.1:1' }], ...options } as TrafficRouterOptions);
      } catch (error) {
        return error as MeridianError;
      }
      throw new Error('accepted');
    };
    expect(bad({ retry: { budget: { percent: 0 } } }).message).toMatch(/retry\.budget\.percent: must be > 0/);
    expect(bad({ retry: { budget: { percent: 1.5 } } }).message).toMatch(/retry\.budget\.percent: must be <= 1/);
    expect(bad({ trustedProxies: ['10.0.0.0/8', 'proxy.internal'] }).message).toMatch(/trustedProxies\[1\]: must be an IPv4 or IPv6 address/);
    expect(bad({ trustedProxies: '10.0.0.1' as never }).code).toBe('INVALID_CONFIG');
    expect(bad({ retry: { perTryTimeoutMillis: 3e9 } }).message).toMatch(/retry\.perTryTimeoutMillis/);
    expect(bad({ regions: [{ id: 'a', endpoint: 'ftp://x' }] }).message).toMatch(/regions\[0\]\.endpoint/);
    const [a] = await servers(1);
    const t = router([{ id: 'a', endpoint: a!.url }]);
    await expect(t.traffic.forward({ method: 'GE T', path: '/' })).rejects.toThrow(/method: must be an HTTP method token/);
    await expect(t.traffic.forward({ method: 'GET', path: 'http://evil/' })).rejects.toThrow(/path: must start with "\/"/);
    await t.traffic.close();
    await expect(t.traffic.forward({ method: 'GET', path: '/' })).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'SHUT_DOWN'));
  });
});
