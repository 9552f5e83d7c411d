// The local adapter's batch calls (suspendMany, restoreJsonMany, activateMany,
// discardMany) against real region processes: one request for many sessions,
// each session checked, fenced and answered on its own, so one session refused
// (fenced, missing, not JSON) fails alone and is named by id.
import { MeridianError, type SessionAdapter, type SessionBatchOutcome, type SessionRef } from '@meridian/core';
import { createLocalProvider, createLocalSessionAdapter, type LocalProvider } from '@meridian/providers-local';
import { findLeakedProcesses } from '@meridian/testkit';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const allPids = new Set<number>();
let provider: LocalProvider | undefined;

const REGIONS = [
  { id: 'us-east', location: { lat: 37.5, lon: -77.5 } },
  { id: 'eu-west', location: { lat: 53.3, lon: -6.2 } },
];

async function deploy(): Promise<{ p: LocalProvider; adapter: SessionAdapter }> {
  provider = createLocalProvider({ regions: REGIONS });
  await provider.deploy({ name: 'batch', regions: [] });
  for (const pid of provider.pids()) allPids.add(pid);
  return { p: provider, adapter: createLocalSessionAdapter(provider) };
}

const endpoint = (p: LocalProvider, region: string) => p.regions().find((r) => r.id === region)!.endpoint;
const ref = (id: string, region = 'us-east'): SessionRef => ({ id, region, metadata: {} });
const call = () => ({ signal: AbortSignal.timeout(5_000) });

async function http(url: string, method: 'GET' | 'PUT' = 'GET', body?: unknown): Promise<{ status: number; body: any }> {
  const res = await request(url, { method, signal: AbortSignal.timeout(5_000), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}
const write = (p: LocalProvider, id: string, state: unknown, region = 'us-east') => http(`${endpoint(p, region)}/sessions/${id}`, 'PUT', state);
const read = (p: LocalProvider, id: string, region = 'us-east') => http(`${endpoint(p, region)}/sessions/${id}`);

/** Outcomes as `id → error code` (`ok` when done). */
const codes = (outcomes: SessionBatchOutcome[]) =>
  Object.fromEntries(outcomes.map((o) => [o.sessionId, o.error ? (MeridianError.isInstance(o.error) ? o.error.code : o.error.message) : 'ok']));

afterEach(async () => {
  await provider?.close();
  provider = undefined;
});

afterAll(async () => {
  expect(await findLeakedProcesses([...allPids])).toEqual([]);
});

describe('local adapter batch calls', () => {
  it('restores many sessions as text in one call, each under its epoch; a fenced one and one that is not JSON fail alone, by id', async () => {
    const { p, adapter } = await deploy();
    // eu-west already holds "held" under epoch 9: a restore under 4 is stale.
    await adapter.restore(ref('held'), 'eu-west', { v: 'newer' }, { ...call(), epoch: 9 });
    const outcomes = await adapter.restoreJsonMany!(
      [
        { session: ref('a'), json: JSON.stringify({ cart: ['book'], note: 'é ✓' }), epoch: 2 },
        { session: ref('held'), json: '{"v":"older"}', epoch: 4 },
        { session: ref('broken'), json: '{"not json', epoch: 1 },
        { session: ref('b'), json: '[1,2,3]' },
      ],
      'eu-west',
      call(),
    );
    expect(outcomes.map((o) => o.sessionId)).toEqual(['a', 'held', 'broken', 'b']);
    expect(codes(outcomes)).toEqual({ a: 'ok', held: 'SESSION_FENCED', broken: 'REGION_UNAVAILABLE', b: 'ok' });
    expect(outcomes[1]!.error).toMatchObject({ details: { sessionId: 'held', regionId: 'eu-west', epoch: 4, currentEpoch: 9 } });
    expect((await read(p, 'a', 'eu-west')).body).toMatchObject({ state: { cart: ['book'], note: 'é ✓' }, status: 'suspended', epoch: 2 });
    expect((await read(p, 'b', 'eu-west')).body).toMatchObject({ state: [1, 2, 3], status: 'suspended', epoch: 0 });
    // The fenced copy is untouched; the refused one was never created.
    expect((await read(p, 'held', 'eu-west')).body).toMatchObject({ state: { v: 'newer' }, epoch: 9 });
    expect((await read(p, 'broken', 'eu-west')).status).toBe(404);
  });

  it('suspends, activates and discards many; fencing, missing sessions and absent discards are per session', async () => {
    const { p, adapter } = await deploy();
    for (const id of ['s1', 's2', 's3']) await write(p, id, { id });
    const suspended = await adapter.suspendMany!([ref('s1'), ref('missing'), ref('s2'), ref('s3')], 'us-east', call());
    expect(codes(suspended)).toEqual({ s1: 'ok', missing: 'SESSION_NOT_FOUND', s2: 'ok', s3: 'ok' });
    for (const id of ['s1', 's2', 's3']) expect((await read(p, id)).body.status).toBe('suspended');

    await adapter.activate(ref('s2'), 'us-east', { ...call(), epoch: 5 });
    await adapter.suspend(ref('s2'), 'us-east', call());
    const activated = await adapter.activateMany!(
      [
        { session: ref('s1'), epoch: 1 },
        { session: ref('s2'), epoch: 3 },
        { session: ref('gone'), epoch: 1 },
        { session: ref('s3') },
      ],
      'us-east',
      call(),
    );
    expect(codes(activated)).toEqual({ s1: 'ok', s2: 'SESSION_FENCED', gone: 'SESSION_NOT_FOUND', s3: 'ok' });
    expect((await read(p, 's1')).body).toMatchObject({ status: 'active', epoch: 1 });
    // Refused under a stale epoch: still suspended under its own.
    expect((await read(p, 's2')).body).toMatchObject({ status: 'suspended', epoch: 5 });
    expect((await read(p, 's3')).body).toMatchObject({ status: 'active', epoch: 0 });

    const discarded = await adapter.discardMany!([ref('s1'), ref('never-there'), ref('s3')], 'us-east', call());
    expect(codes(discarded)).toEqual({ s1: 'ok', 'never-there': 'ok', s3: 'ok' });
    expect((await adapter.list!('us-east', call())).map((s) => s.id)).toEqual(['s2']);
  });

  it('refuses a malformed batch whole (400), checks epochs before sending, and fails every session when the region is down', async () => {
    const { p, adapter } = await deploy();
    const res = await request(`${endpoint(p, 'us-east')}/session-batch/activate`, { method: 'POST', body: JSON.stringify({ items: [{ id: 'bad id!' }] }) });
    expect(res.statusCode).toBe(400);
    await res.body.dump();
    const unknown = await request(`${endpoint(p, 'us-east')}/session-batch/explode`, { method: 'POST', body: '{"items":[]}' });
    expect(unknown.statusCode).toBe(404);
    await unknown.body.dump();
    const badEpoch = await adapter.activateMany!([{ session: ref('x'), epoch: -1 }], 'us-east', call()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(badEpoch).toMatchObject({ code: 'INVALID_ARGUMENT' });

    await p.kill('us-east');
    const down = await adapter.suspendMany!([ref('a'), ref('b')], 'us-east', call()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(down).toMatchObject({ code: 'REGION_UNAVAILABLE' });
  });

  it('keeps the batch calls out of a spread copy, so a wrapper of the single calls is never gone around', async () => {
    const { adapter } = await deploy();
    for (const name of ['suspendMany', 'restoreJsonMany', 'activateMany', 'discardMany']) {
      expect(typeof (adapter as unknown as Record<string, unknown>)[name]).toBe('function');
      expect({ ...adapter }).not.toHaveProperty(name);
    }
  });
});
