import { MeridianError } from '@meridian/core';
import { createLocalProvider, type LocalProvider } from '@meridian/providers-local';
import { findLeakedProcesses, seedRegions } from '@meridian/testkit';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let provider: LocalProvider;
let door: string;
const pids: number[] = [];

beforeAll(async () => {
  provider = createLocalProvider({ regions: seedRegions(3) });
  await provider.deploy({ name: 'door', regions: [] });
  pids.push(...provider.pids());
  door = (await provider.startFrontDoor()).url;
});

afterAll(async () => {
  await provider.stop();
  expect(provider.frontDoor).toBeDefined();
  expect(await findLeakedProcesses(pids)).toEqual([]);
});

async function hit(path = '/health'): Promise<{ status: number; region?: string }> {
  const res = await request(`${door}${path}`, { signal: AbortSignal.timeout(5_000) });
  await res.body.dump();
  return { status: res.statusCode, region: res.headers['x-meridian-region'] as string | undefined };
}

describe('local front door', () => {
  it('spreads requests by weight with smooth round-robin', async () => {
    await provider.setTraffic({ 'us-east': 3, 'eu-west': 1, 'ap-south': 0 });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const { region } = await hit();
      counts[region!] = (counts[region!] ?? 0) + 1;
    }
    expect(counts).toEqual({ 'us-east': 30, 'eu-west': 10 });
  });

  it('a traffic shift moves new requests at once while a request in flight finishes where it started', async () => {
    await provider.setTraffic({ 'us-east': 1, 'eu-west': 0, 'ap-south': 0 });
    await provider.slow('us-east', 400);
    const inFlight = hit();
    await new Promise((r) => setTimeout(r, 100));
    await provider.setTraffic({ 'us-east': 0, 'eu-west': 1 });
    expect((await hit()).region).toBe('eu-west');
    expect(await inFlight).toEqual({ status: 200, region: 'us-east' });
    await provider.restore('us-east');
  });

  it('forwards methods and bodies', async () => {
    await provider.setTraffic({ 'ap-south': 1 });
    const put = await request(`${door}/kv/greeting`, { method: 'PUT', body: JSON.stringify('hello'), headers: { 'content-type': 'application/json' } });
    expect(put.statusCode).toBe(200);
    await put.body.dump();
    const got = await request(`${provider.regions().find((r) => r.id === 'ap-south')!.endpoint}/kv/greeting`);
    expect(await got.body.json()).toMatchObject({ value: 'hello' });
  });

  it('a dead region costs no request: refused connections and 500s are retried on another region, and counted', async () => {
    await provider.setTraffic({ 'us-east': 1 });
    const before = provider.frontDoor!.stats();
    await provider.kill('us-east');
    const spilled = await request(`${door}/health`, { signal: AbortSignal.timeout(5_000) });
    await spilled.body.dump();
    expect(spilled.statusCode).toBe(200);
    expect(spilled.headers['x-meridian-region']).not.toBe('us-east');
    expect(spilled.headers['x-meridian-attempts']).toBe('2');
    await provider.restore('us-east');
    await provider.failRate('us-east', 1);
    expect((await hit()).status).toBe(200);
    // Not idempotent: a POST that got a 500 is never sent again, and the client sees it.
    const post = await request(`${door}/kv/x`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(5_000) });
    await post.body.dump();
    expect(post.statusCode).toBe(500);
    expect(post.headers['x-meridian-attempts']).toBe('1');
    await provider.restore('us-east');
    expect((await hit()).status).toBe(200);
    const after = provider.frontDoor!.stats();
    expect(after.failures - before.failures).toBe(1);
    expect(after.retried - before.retried).toBe(2);
    expect(after.byRegion['us-east']!.failures - (before.byRegion['us-east']?.failures ?? 0)).toBe(3);
    expect(after.byRegion['us-east']!.gatewayFailures - (before.byRegion['us-east']?.gatewayFailures ?? 0)).toBe(1);
  });

  it('spills over to a deployed region without weight when none with weight is left, and answers 503 when none is deployed', async () => {
    await provider.destroy(['eu-west']);
    await provider.setTraffic({ 'eu-west': 1 });
    const spill = await hit();
    expect(spill.status).toBe(200);
    expect(['us-east', 'ap-south']).toContain(spill.region);
    await provider.deploy({ name: 'door', regions: ['eu-west'] });
    pids.push(...provider.pids());
    expect((await hit()).region).toBe('eu-west');
    const empty = createLocalProvider({ regions: seedRegions(1) });
    try {
      const emptyDoor = await empty.startFrontDoor();
      const res = await request(`${emptyDoor.url}/health`, { signal: AbortSignal.timeout(5_000) });
      expect(res.statusCode).toBe(503);
      expect(await res.body.json()).toMatchObject({ error: expect.stringContaining('no region can take the request') });
      expect(emptyDoor.stats()).toMatchObject({ requests: 1, failures: 1 });
    } finally {
      await empty.stop();
    }
  });

  it('resolveRoute tells which region answers through the door', async () => {
    await provider.setTraffic({ 'ap-south': 1 });
    expect(await provider.resolveRoute()).toBe('ap-south');
  });

  it('fences stale leaders: a lower fencing token is refused and changes nothing', async () => {
    await provider.setTraffic({ 'us-east': 1 }, { fencingToken: 5 });
    await expect(provider.setTraffic({ 'eu-west': 1 }, { fencingToken: 4 })).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'LEASE_LOST'));
    expect(provider.traffic()).toEqual({ 'us-east': 1, 'eu-west': 0, 'ap-south': 0 });
    await provider.setTraffic({ 'eu-west': 1 }, { fencingToken: 5 });
    expect((await hit()).region).toBe('eu-west');
  });
});
