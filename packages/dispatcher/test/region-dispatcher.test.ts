import { createServer } from 'node:http';
import { HealthMonitor, MeridianError } from '@meridian/core';
import { createRegionDispatcher, type RegionDispatcher } from '@meridian/dispatcher';
import { startScriptedServer, type ScriptedServer } from '@meridian/testkit';
import { fetch, request, stream } from 'undici';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';

// A host app's own calls through the dispatcher, with undici's real fetch,
// request and stream against real servers on loopback.
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(weights: Record<string, number> = { a: 1, b: 0 }) {
  const [a, b] = await Promise.all([startScriptedServer(), startScriptedServer()]);
  const regions = [
    { id: 'a', endpoint: a.url },
    { id: 'b', endpoint: b.url },
  ];
  const monitor = new HealthMonitor({ regions });
  const dispatcher = createRegionDispatcher({ regions, monitor, weights: () => weights, responseHeaders: true });
  cleanups.push(() => Promise.all([a.close(), b.close()]), () => dispatcher.close());
  return { a, b, dispatcher, monitor };
}

describe('createRegionDispatcher', () => {
  it("routes undici's fetch by weight: the URL's origin names the service, path and query go to the region", async () => {
    const { a, dispatcher } = await setup();
    const res = await fetch('http://orders.internal/api/orders/42?full=1', { dispatcher, headers: { 'x-app': 'shop' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(res.headers.get('x-meridian-region')).toBe('a');
    expect(a.received.at(-1)).toMatchObject({ method: 'GET', path: '/api/orders/42?full=1', headers: expect.objectContaining({ 'x-app': 'shop' }) });
  });

  it('retries on another region: a 503 for an idempotent fetch, a refused connection for a POST', async () => {
    const { a, b, dispatcher } = await setup();
    a.queue({ kind: 'status', status: 503 });
    const res = await fetch('http://orders/api', { dispatcher, method: 'PUT', body: JSON.stringify({ qty: 2 }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-meridian-attempts')).toBe('2');
    expect(b.received.at(-1)).toMatchObject({ method: 'PUT', body: '{"qty":2}' });
    // A region whose port refuses connections: the POST never left, so it goes to b.
    const refusing = createServer();
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
    const deadPort = (refusing.address() as { port: number }).port;
    await new Promise((r) => refusing.close(r));
    const fresh = createRegionDispatcher({ regions: [{ id: 'dead', endpoint: `http://127.0.0.1:${deadPort}` }, { id: 'b', endpoint: b.url }], weights: () => ({ dead: 1, b: 0 }), responseHeaders: true });
    cleanups.push(() => fresh.close());
    const post = await request('http://orders/api/orders', { dispatcher: fresh, method: 'POST', body: '{"order":7}' });
    expect(post.statusCode).toBe(200);
    expect(post.headers['x-meridian-region']).toBe('b');
    await post.body.dump();
    expect(b.received.at(-1)).toMatchObject({ method: 'POST', body: '{"order":7}' });
    expect(fresh.traffic.stats()).toMatchObject({ retried: 1, failures: 0 });
    expect(dispatcher.traffic.stats()).toMatchObject({ retried: 1, failures: 0 });
  });

  it('streams a large response with backpressure (stream API) and ends cleanly', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 7);
    const server = createServer((_req, res) => res.end(big));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const dispatcher: RegionDispatcher = createRegionDispatcher({ regions: [{ id: 'a', endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}` }] });
    cleanups.push(() => dispatcher.close());
    let received = 0;
    await stream('http://svc/blob', { dispatcher, method: 'GET', opaque: null }, () =>
      new Writable({
        highWaterMark: 1024,
        write(chunk: Buffer, _enc, done) {
          received += chunk.length;
          setImmediate(done);
        },
      }),
    );
    expect(received).toBe(big.length);
  });

  it('an abort reaches the region request; a client that gave up is not a region failure', async () => {
    const { a, dispatcher, monitor } = await setup();
    a.set({ kind: 'hang' });
    const controller = new AbortController();
    const pending = fetch('http://orders/slow', { dispatcher, signal: controller.signal });
    while (a.requests === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect(dispatcher.traffic.stats()).toMatchObject({ aborted: 1, failures: 0 });
    expect(monitor.get('a').passiveConsecutiveFailures).toBe(0);
  });

  it('no region answering is an error the caller sees, with the code kept; a closed dispatcher refuses', async () => {
    const { a, b, dispatcher } = await setup();
    await Promise.all([a.close(), b.close()]);
    const error = await request('http://orders/x', { dispatcher }).catch((e: unknown) => e);
    expect(MeridianError.hasCode(error, 'REGION_UNAVAILABLE')).toBe(true);
    expect((error as MeridianError).details).toMatchObject({ tried: ['a', 'b'], attempts: 2 });
    await dispatcher.close();
    await expect(request('http://orders/x', { dispatcher })).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'SHUT_DOWN'));
  });

  it('refuses bad options with INVALID_CONFIG naming the field', () => {
    expect(() => createRegionDispatcher({ regions: [{ id: 'a', endpoint: 'http://127.0.0.1:1' }], retry: { budget: { percent: 0 } } })).toThrow(/retry\.budget\.percent/);
    expect(() => createRegionDispatcher({ regions: [] })).toThrow(/regions: at least one region is required/);
  });
});

// Keep the type import used: the scripted server type documents the helper's return.
export type { ScriptedServer };

describe('lifecycle', () => {
  it('close() is idempotent and awaitable; await using ends it', async () => {
    const { dispatcher } = await setup();
    await Promise.all([dispatcher.close(), dispatcher.close()]);
    await expect(dispatcher.traffic.forward({ method: 'GET', path: '/' })).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'SHUT_DOWN'));
    let kept: RegionDispatcher;
    {
      await using d = createRegionDispatcher({ regions: [{ id: 'a', endpoint: 'http://127.0.0.1:1' }] });
      kept = d;
    }
    await expect(kept.traffic.forward({ method: 'GET', path: '/' })).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'SHUT_DOWN'));
  });
});
