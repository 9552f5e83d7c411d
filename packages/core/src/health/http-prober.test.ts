import { createGate, startScriptedServer, type ScriptedServer } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MeridianError } from '../errors/meridian-error.js';
import { createHttpProber, type HttpProberOptions } from './http-prober.js';
import type { Prober } from './prober.js';

let server: ScriptedServer;
let prober: Prober | undefined;

beforeEach(async () => {
  server = await startScriptedServer();
});

afterEach(async () => {
  await prober?.close?.();
  prober = undefined;
  await server.close();
});

function create(options: HttpProberOptions = {}): Prober {
  prober = createHttpProber(options);
  return prober;
}

function probe(p: Prober, signal = new AbortController().signal, path = '/health'): ReturnType<Prober['probe']> {
  return p.probe({ regionId: 'r', url: `${server.url}${path}` }, { signal });
}

describe('createHttpProber', () => {
  it('sends GET with its user agent and extra headers, path and query kept, over one reused connection', async () => {
    const p = create({ headers: { 'x-probe': 'yes' } });
    for (let i = 0; i < 3; i++) expect(await probe(p, undefined, '/ready?deep=1')).toEqual({ ok: true, status: 200 });
    expect(server.received.map((r) => [r.method, r.path, r.headers['user-agent'], r.headers['x-probe']])).toEqual(
      Array.from({ length: 3 }, () => ['GET', '/ready?deep=1', 'meridian-health/1', 'yes']),
    );
  });

  it('fails an unexpected status after reading its body, and the connection still serves the next probe', async () => {
    const p = create({ expectedStatus: { min: 200, max: 204 } });
    server.queue({ kind: 'status', status: 503, body: 'overloaded' });
    expect(await probe(p)).toEqual({ ok: false, status: 503, error: 'status 503 outside 200-204' });
    expect(await probe(p)).toEqual({ ok: true, status: 200 });
  });

  it('judges the body with the predicate, refuses a body over maxBodyBytes and counts a throwing predicate as a failure', async () => {
    const p = create({ bodyPredicate: (body) => JSON.parse(body).status === 'ok', maxBodyBytes: 64 });
    expect(await probe(p)).toEqual({ ok: true, status: 200 });
    server.queue({ kind: 'ok', body: '{"status":"draining"}' });
    expect(await probe(p)).toEqual({ ok: false, status: 200, error: 'body rejected by predicate' });
    server.queue({ kind: 'ok', body: `{"status":"ok","pad":"${'x'.repeat(100)}"}` });
    expect(await probe(p)).toEqual({ ok: false, status: 200, error: 'body larger than 64 bytes' });
    server.queue({ kind: 'ok', body: 'not json' });
    const thrown = await probe(p);
    expect(thrown.ok).toBe(false);
    expect(thrown.error).toMatch(/JSON/);
    expect(await probe(p)).toEqual({ ok: true, status: 200 });
  });

  it('without a predicate a body too long to drain still counts by its status', async () => {
    const p = create();
    server.queue({ kind: 'ok', body: 'x'.repeat(300 * 1024) });
    expect(await probe(p)).toEqual({ ok: true, status: 200 });
    expect(await probe(p)).toEqual({ ok: true, status: 200 });
  });

  it('an abort fails a request in flight and one still queued for a connection, with the abort reason', async () => {
    const p = create({ connections: 1 });
    const gate = createGate();
    server.queue({ kind: 'gate', gate });
    const controller = new AbortController();
    const inFlight = probe(p, controller.signal);
    const queued = probe(p, controller.signal);
    await gate.arrived;
    controller.abort(new MeridianError('TIMEOUT', 'timeout after 5 ms'));
    expect(await inFlight).toEqual({ ok: false, error: 'timeout after 5 ms' });
    expect(await queued).toEqual({ ok: false, error: 'timeout after 5 ms' });
    gate.release();
    // The aborted requests gave their connection back.
    expect(await probe(p)).toEqual({ ok: true, status: 200 });
    expect(server.requests).toBe(2);
  });

  it('an aborted signal sends nothing; a bad URL or a refused connection is a failure, never a throw', async () => {
    const p = create();
    const controller = new AbortController();
    controller.abort();
    expect(await probe(p, controller.signal)).toEqual({ ok: false, error: 'This operation was aborted' });
    expect(server.requests).toBe(0);
    const bad = await p.probe({ regionId: 'r', url: 'not a url' }, { signal: new AbortController().signal });
    expect(bad).toMatchObject({ ok: false });
    const url = server.url;
    await server.close();
    const refused = await p.probe({ regionId: 'r', url: `${url}/health` }, { signal: new AbortController().signal });
    expect(refused.error).toMatch(/ECONNREFUSED/);
    server = await startScriptedServer();
  });

  it('works again after close()', async () => {
    const p = create();
    expect(await probe(p)).toEqual({ ok: true, status: 200 });
    await p.close?.();
    expect(await probe(p)).toEqual({ ok: true, status: 200 });
  });
});
