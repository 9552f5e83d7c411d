// The front door as a geo-aware load balancer: a real GeoRouter over an MMDB
// written by testkit, real region processes, X-Forwarded-For from a trusted
// proxy only, and session affinity by cookie.
import { HealthMonitor } from '@meridian/core';
import { GeoDatabase, GeoRouter } from '@meridian/georouter';
import { createLocalProvider, type LocalProvider } from '@meridian/providers-local';
import { dbipNetworks, findLeakedProcesses, seedRegions, waitForEvent, writeMmdb } from '@meridian/testkit';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let provider: LocalProvider;
let monitor: HealthMonitor;
let geo: GeoRouter;
let door: string;
const pids: number[] = [];

beforeAll(async () => {
  provider = createLocalProvider({ regions: seedRegions(4) });
  await provider.deploy({ name: 'geo-door', regions: [] });
  pids.push(...provider.pids());
  monitor = new HealthMonitor({ regions: provider.regions(), intervalMillis: 1_000, timeoutMillis: 500 });
  const healthy = Promise.all(provider.regions().map((r) => waitForEvent(monitor, 'region:healthy', { filter: (e) => e.regionId === r.id })));
  monitor.start();
  await healthy;
  geo = new GeoRouter({ regions: provider.regions(), database: GeoDatabase.fromBuffer(writeMmdb({ networks: dbipNetworks() })), monitor });
  // The test client connects from 127.0.0.1: it plays the trusted proxy.
  door = (await provider.startFrontDoor({ monitor, router: geo, trustedProxies: ['127.0.0.1/32', '::1'] })).url;
});

afterAll(async () => {
  geo.close();
  await monitor.stop();
  await provider.stop();
  expect(await findLeakedProcesses(pids)).toEqual([]);
});

async function hit(headers: Record<string, string> = {}) {
  const res = await request(`${door}/kv/geo`, { headers, signal: AbortSignal.timeout(5_000) });
  await res.body.dump();
  return { status: res.statusCode, region: res.headers['x-meridian-region'] as string, cookie: res.headers['set-cookie'] as string[] | string | undefined };
}

describe('geo-aware front door', () => {
  it('sends each client to its nearest region by the address its trusted proxy reports', async () => {
    const cases: Array<[string, string]> = [
      ['3.0.1.1', 'us-east'], // Ashburn
      ['81.2.69.160', 'eu-west'], // London
      ['203.116.5.5', 'ap-south'], // Singapore
      ['95.24.1.1', 'ru-central'], // Moscow
    ];
    for (const [ip, region] of cases) expect((await hit({ 'x-forwarded-for': ip })).region, ip).toBe(region);
  });

  it('a spoofed hop left of the proxy-added one is ignored', async () => {
    expect((await hit({ 'x-forwarded-for': '203.116.5.5, 81.2.69.160' })).region).toBe('eu-west');
  });

  it('keeps a client on the region in its cookie while that region takes traffic, and breaks affinity when it stops', async () => {
    const first = await hit({ 'x-forwarded-for': '81.2.69.160' });
    expect(first.cookie).toBe('meridian-region=eu-west; Path=/; HttpOnly; SameSite=Lax');
    // The client moves to Singapore but carries its cookie: it stays where its session is.
    const sticky = await hit({ 'x-forwarded-for': '203.116.5.5', cookie: 'theme=dark; meridian-region=eu-west' });
    expect(sticky).toMatchObject({ region: 'eu-west', cookie: undefined });
    await provider.setTraffic({ 'us-east': 1, 'ap-south': 1, 'ru-central': 1 });
    const moved = await hit({ 'x-forwarded-for': '203.116.5.5', cookie: 'meridian-region=eu-west' });
    expect(moved.region).toBe('ap-south');
    expect(moved.cookie).toBe('meridian-region=ap-south; Path=/; HttpOnly; SameSite=Lax');
    await provider.setTraffic({ 'us-east': 1, 'eu-west': 1, 'ap-south': 1, 'ru-central': 1 });
  });
});

describe('front door: who is trusted', () => {
  it('passes on the chain a trusted proxy sent, with the proxy appended', async () => {
    const res = await request(`${door}/`, { headers: { 'x-forwarded-for': '81.2.69.160' }, signal: AbortSignal.timeout(5_000) });
    expect(await res.body.json()).toMatchObject({ forwardedFor: '81.2.69.160, 127.0.0.1' });
  });

  it('without trusted proxies, an X-Forwarded-For from the client is replaced by its socket address on the way to the region', async () => {
    const other = createLocalProvider({ regions: seedRegions(1) });
    try {
      await other.deploy({ name: 'plain', regions: [] });
      pids.push(...other.pids());
      const otherDoor = await other.startFrontDoor();
      const res = await request(`${otherDoor.url}/`, { headers: { 'x-forwarded-for': '6.6.6.6' }, signal: AbortSignal.timeout(5_000) });
      expect(await res.body.json()).toMatchObject({ forwardedFor: '127.0.0.1' });
    } finally {
      await other.stop();
    }
  });

  it('refuses trusted proxies that are not IPs or CIDRs, and a bad cookie name', async () => {
    const other = createLocalProvider({ regions: seedRegions(1) });
    try {
      await expect(other.startFrontDoor({ trustedProxies: ['10.0.0.0/8', 'lb.internal'] })).rejects.toThrow(/trustedProxies\[1\]: must be an IPv4 or IPv6 address/);
      await expect(other.startFrontDoor({ affinityCookie: 'bad cookie' })).rejects.toThrow(/affinityCookie/);
    } finally {
      await other.stop();
    }
  });
});
