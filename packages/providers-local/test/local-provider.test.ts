import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { defineRegions, MeridianError } from '@meridian/core';
import { createLocalProvider, type LocalProvider } from '@meridian/providers-local';
import { findLeakedProcesses, getFreePort, meridianErrorOf, waitForEvent } from '@meridian/testkit';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const allPids = new Set<number>();
let provider: LocalProvider | undefined;

function create(regions = [{ id: 'us-east', location: { lat: 37.5, lon: -77.5 } }, { id: 'eu-west', location: { lat: 53.3, lon: -6.2 }, host: '127.0.0.2' }]): LocalProvider {
  provider = createLocalProvider({ regions });
  return provider;
}

async function deployAll(p: LocalProvider): Promise<void> {
  const result = await p.deploy({ name: 'test', regions: [] });
  for (const pid of p.pids()) allPids.add(pid);
  expect(result.regions.every((r) => r.state === 'running')).toBe(true);
}

async function get(url: string, timeoutMillis = 2000): Promise<{ status: number; body: any; region?: string }> {
  const res = await request(url, { signal: AbortSignal.timeout(timeoutMillis) });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined, region: res.headers['x-meridian-region'] as string };
}

function endpointOf(p: LocalProvider, id: string): string {
  return p.regions().find((r) => r.id === id)!.endpoint;
}

afterEach(async () => {
  await provider?.stop();
  provider = undefined;
});

afterAll(async () => {
  // No region process may outlive the test run.
  expect(await findLeakedProcesses([...allPids])).toEqual([]);
});

describe('LocalProvider deploy', () => {
  it('runs each region as a real process on loopback, with its own address', async () => {
    const p = create();
    const progress: string[] = [];
    const result = await p.deploy({ name: 'web', regions: ['us-east', 'eu-west'] }, { onProgress: (e) => progress.push(`${e.regionId}:${e.status}`) });
    for (const pid of p.pids()) allPids.add(pid);
    expect(result.regions.map((r) => r.state)).toEqual(['running', 'running']);
    expect(progress.sort()).toEqual(['eu-west:completed', 'eu-west:started', 'us-east:completed', 'us-east:started']);
    expect(endpointOf(p, 'eu-west')).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
    const health = await get(`${endpointOf(p, 'us-east')}/health`);
    expect(health).toMatchObject({ status: 200, region: 'us-east', body: { status: 'ok', region: 'us-east' } });
    // The regions it reports are valid core Regions.
    expect(defineRegions(p.regions()).map((r) => r.provider)).toEqual(['local', 'local']);
    expect(new Set(p.pids()).size).toBe(2);
    const status = await p.status('us-east');
    expect(status).toMatchObject({ regionId: 'us-east', state: 'running', endpoint: endpointOf(p, 'us-east') });
  });

  it('serves the key/value and session API', async () => {
    const p = create();
    await deployAll(p);
    const base = endpointOf(p, 'us-east');
    const put = await request(`${base}/kv/cart-1`, { method: 'PUT', body: JSON.stringify({ items: 3 }) });
    expect(put.statusCode).toBe(200);
    await put.body.dump();
    expect((await get(`${base}/kv/cart-1`)).body).toMatchObject({ key: 'cart-1', value: { items: 3 } });
    expect((await get(`${base}/kv`)).body.items).toHaveLength(1);
    const session = await request(`${base}/sessions/s-1`, { method: 'PUT', body: JSON.stringify({ cookies: ['a=b'] }) });
    await session.body.dump();
    expect((await get(`${base}/sessions/s-1`)).body).toMatchObject({ state: { cookies: ['a=b'] } });
    const bad = await request(`${base}/kv/x`, { method: 'PUT', body: '{not json' });
    expect(bad.statusCode).toBe(400);
    await bad.body.dump();
    expect((await get(`${base}/kv/missing`)).status).toBe(404);
    const del = await request(`${base}/sessions/s-1`, { method: 'DELETE' });
    expect(del.statusCode).toBe(204);
    await del.body.dump();
    // Each region has its own data.
    expect((await get(`${endpointOf(p, 'eu-west')}/kv/cart-1`)).status).toBe(404);
  });

  it('reports a region that cannot listen as failed while the others run', async () => {
    const port = await getFreePort();
    const blocker = (await import('node:net')).createServer().listen(port, '127.0.0.1');
    await once(blocker, 'listening');
    try {
      const p = create([
        { id: 'ok', location: { lat: 0, lon: 0 } },
        { id: 'taken', location: { lat: 0, lon: 0 }, port } as never,
      ]);
      const result = await p.deploy({ name: 'x', regions: [] });
      for (const pid of p.pids()) allPids.add(pid);
      expect(result.regions.find((r) => r.regionId === 'ok')!.state).toBe('running');
      const failed = result.regions.find((r) => r.regionId === 'taken')!;
      expect(failed.state).toBe('failed');
      expect(failed.error).toContain('EADDRINUSE');
    } finally {
      blocker.close();
    }
  });
});

describe('LocalProvider faults', () => {
  it('hang accepts the connection and never answers; restore answers again', async () => {
    const p = create();
    await deployAll(p);
    const url = `${endpointOf(p, 'us-east')}/health`;
    await p.hang('us-east');
    await expect(get(url, 300)).rejects.toThrow(/abort|timeout/i);
    expect((await p.status('us-east')).details?.fault).toEqual({ kind: 'hang' });
    await p.restore('us-east');
    expect((await get(url)).status).toBe(200);
  });

  it('slow delays every answer', async () => {
    const p = create();
    await deployAll(p);
    await p.slow('us-east', 300);
    const started = performance.now();
    expect((await get(`${endpointOf(p, 'us-east')}/health`)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('failRate answers that share of requests with 500 (seeded), 1 means all', async () => {
    const p = create();
    await deployAll(p);
    const url = `${endpointOf(p, 'us-east')}/health`;
    await p.failRate('us-east', 0.5);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await get(url)).status);
    const failures = statuses.filter((s) => s === 500).length;
    expect(failures).toBeGreaterThan(5);
    expect(failures).toBeLessThan(35);
    await p.failRate('us-east', 1);
    for (let i = 0; i < 5; i++) expect((await get(url)).status).toBe(500);
    await p.restore('us-east');
    expect((await get(url)).status).toBe(200);
  });

  it('kill crashes the process; restore brings it back on the same endpoint', async () => {
    const p = create();
    await deployAll(p);
    const endpoint = endpointOf(p, 'us-east');
    const [pid] = p.pids();
    const exit = waitForEvent(p, 'process:exit');
    await p.kill('us-east');
    expect(await exit).toMatchObject({ regionId: 'us-east', pid, expected: false, signal: 'SIGKILL' });
    await expect(get(`${endpoint}/health`)).rejects.toThrow(/ECONNREFUSED/);
    expect((await p.status('us-east')).state).toBe('stopped');
    await expect(p.hang('us-east')).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'REGION_UNAVAILABLE'));
    await p.restore('us-east');
    for (const id of p.pids()) allPids.add(id);
    expect(endpointOf(p, 'us-east')).toBe(endpoint);
    expect((await get(`${endpoint}/health`)).status).toBe(200);
    expect(p.pids()).not.toContain(pid);
  });

  it('restart replaces the process, keeps the port and clears faults', async () => {
    const p = create();
    await deployAll(p);
    const endpoint = endpointOf(p, 'us-east');
    await p.failRate('us-east', 1);
    const before = (await p.status('us-east')).details?.pid;
    await p.restart('us-east');
    for (const id of p.pids()) allPids.add(id);
    const after = await p.status('us-east');
    expect(after.details?.pid).not.toBe(before);
    expect(after.details?.restarts).toBe(1);
    expect(after.endpoint).toBe(endpoint);
    expect((await get(`${endpoint}/health`)).status).toBe(200);
  });
});

describe('LocalProvider lifecycle and bad input', () => {
  it('destroy and stop end every process; stop is idempotent and final', async () => {
    const p = create();
    await deployAll(p);
    const pids = p.pids();
    await p.destroy(['us-east']);
    expect((await p.status('us-east')).state).toBe('not-deployed');
    await p.stop();
    await p.stop();
    expect(await findLeakedProcesses(pids)).toEqual([]);
    await expect(p.deploy({ name: 'x', regions: [] })).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'SHUT_DOWN'));
  });

  it.each<[string, () => unknown, string, string]>([
    ['non-loopback host', () => createLocalProvider({ regions: [{ id: 'a', location: { lat: 0, lon: 0 }, host: '10.0.0.1' }] }), 'INVALID_CONFIG', 'regions[0].host'],
    ['duplicate ids', () => createLocalProvider({ regions: [{ id: 'a', location: { lat: 0, lon: 0 } }, { id: 'a', location: { lat: 0, lon: 0 } }] }), 'INVALID_CONFIG', '[1].id'],
    ['bad latitude', () => createLocalProvider({ regions: [{ id: 'a', location: { lat: 200, lon: 0 } }] }), 'INVALID_CONFIG', '[0].location.lat'],
    ['no regions', () => createLocalProvider({ regions: [] }), 'INVALID_CONFIG', 'regions'],
  ])('refuses %s', (_name, fn, code, path) => {
    const error = meridianErrorOf(fn);
    expect(error.code).toBe(code);
    expect(error.message).toContain(path);
  });

  it('refuses unknown regions, bad fault values and bad weights', async () => {
    const p = create();
    await expect(p.deploy({ name: 'x', regions: ['mars'] })).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'REGION_NOT_FOUND'));
    await expect(p.status('mars')).rejects.toThrow(/Unknown region "mars"; known regions: us-east, eu-west/);
    await expect(p.slow('us-east', -1)).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'INVALID_CONFIG'));
    await expect(p.failRate('us-east', 1.5)).rejects.toThrow(/fraction: must be between 0 and 1/);
    await expect(p.setTraffic({ 'us-east': 0, 'eu-west': 0 })).rejects.toThrow(/sum to a positive number/);
    await expect(p.setTraffic({ 'us-east': -1 })).rejects.toThrow(/us-east: must be a finite number >= 0/);
    await expect(p.setTraffic({ mars: 1 })).rejects.toThrow(/mars: unknown region/);
    await p.setTraffic({ 'us-east': 100, 'eu-west': 0 });
    expect(p.traffic()).toEqual({ 'us-east': 100, 'eu-west': 0 });
  });
});

describe('LocalProvider never leaves orphans when its host dies', () => {
  const fixture = fileURLToPath(new URL('./fixtures/spawn-regions.ts', import.meta.url));
  const root = fileURLToPath(new URL('../../..', import.meta.url));

  async function runFixture(args: string[]): Promise<{ pids: number[]; child: ReturnType<typeof spawn> }> {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.setEncoding('utf8');
    for await (const chunk of child.stdout!) {
      out += chunk;
      if (out.includes('\n')) break;
    }
    const { pids } = JSON.parse(out.split('\n')[0]!) as { pids: number[] };
    return { pids, child };
  }

  it('children exit when the host is SIGKILLed (IPC disconnect)', async () => {
    const { pids, child } = await runFixture([]);
    expect(pids).toHaveLength(2);
    expect(await findLeakedProcesses(pids, 100)).toHaveLength(2);
    child.kill('SIGKILL');
    expect(await findLeakedProcesses(pids)).toEqual([]);
  });

  it('children are killed when the host exits normally', async () => {
    const { pids, child } = await runFixture(['--exit']);
    await once(child, 'exit');
    expect(await findLeakedProcesses(pids)).toEqual([]);
  });
});
