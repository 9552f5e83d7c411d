// A region that dies hard, as clients of the front door see it: real region
// processes, real sockets, a bounded open-loop client at a steady rate. The
// counts come from the clients (what a user saw), and are checked against the
// front door's own.
import { FailoverManager, HealthMonitor, type RegionEjectedEvent, type HealthTransition } from '@meridian/core';
import { createLocalProvider, type FrontDoorOptions, type LocalProvider } from '@meridian/providers-local';
import { findLeakedProcesses, seedRegions, startSteadyClient, waitForEvent, type SteadyRequestRecord } from '@meridian/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const isEqual = (event: unknown, expected: Record<string, unknown>): boolean =>
  Object.entries(expected).every(([key, value]) => JSON.stringify((event as Record<string, unknown>)[key]) === JSON.stringify(value));

interface Lab {
  provider: LocalProvider;
  monitor: HealthMonitor;
  manager: FailoverManager;
  url: string;
  ejected: RegionEjectedEvent[];
  transitions: HealthTransition[];
}

let lab: Lab | undefined;
const pids: number[] = [];

async function startLab(door: FrontDoorOptions = {}): Promise<Lab> {
  const provider = createLocalProvider({ regions: seedRegions(4) });
  await provider.deploy({ name: 'hard-failure', regions: [] });
  pids.push(...provider.pids());
  // The issue's defaults: probes every second, three failures to go unhealthy.
  const monitor = new HealthMonitor({ regions: provider.regions(), intervalMillis: 1_000, timeoutMillis: 500, failuresBeforeUnhealthy: 3, successesBeforeHealthy: 2 });
  const manager = new FailoverManager({ regions: provider.regions(), monitor, provider, drainMillis: 200, failback: { automatic: false } });
  const ejected: RegionEjectedEvent[] = [];
  const transitions: HealthTransition[] = [];
  monitor.on('region:ejected', (e) => ejected.push(e));
  for (const name of ['region:degraded', 'region:unhealthy'] as const) monitor.on(name, (e) => transitions.push(e));
  const healthy = Promise.all(provider.regions().map((r) => waitForEvent(monitor, 'region:healthy', { filter: (e) => e.regionId === r.id })));
  monitor.start();
  await healthy;
  await manager.start();
  const frontDoor = await provider.startFrontDoor({ monitor, ...door });
  lab = { provider, monitor, manager, url: frontDoor.url, ejected, transitions };
  return lab;
}

afterEach(async () => {
  if (lab) {
    await lab.manager.stop();
    await lab.monitor.stop();
    await lab.provider.stop();
    lab = undefined;
  }
  expect(await findLeakedProcesses(pids)).toEqual([]);
});

const failed = (records: readonly SteadyRequestRecord[], method?: string) => records.filter((r) => !r.ok && (method === undefined || r.method === method));

describe('a region that dies hard, through the front door', () => {
  it('SIGKILL of the active region at 200 req/s: 0 failed GETs, and traffic moves after a handful of retried requests', async () => {
    const { provider, url, ejected } = await startLab();
    const client = startSteadyClient({ url, ratePerSecond: 200, maxRequests: 600 });
    while (client.records.length < 200) await new Promise((r) => setTimeout(r, 10));
    const killedAt = Date.now();
    await provider.kill('us-east');
    const records = await client.finished;

    expect(failed(records)).toEqual([]);
    const after = records.filter((r) => r.sentAt >= killedAt);
    const retried = after.filter((r) => r.attempts > 1);
    // Passive detection ejects us-east after 3 refused connections; besides those,
    // only requests already in flight at the kill can have met the dead region.
    expect(retried.length).toBeGreaterThanOrEqual(1);
    expect(retried.length).toBeLessThanOrEqual(8);
    expect(ejected).toEqual([expect.objectContaining({ regionId: 'us-east', rule: 'consecutive-gateway-failures' })]);
    const moved = after.find((r) => r.ok && r.region !== 'us-east' && r.attempts === 1)!;
    expect(moved).toBeDefined();
    // Every request after the first one placed elsewhere went elsewhere at once.
    expect(after.filter((r) => r.seq > moved.seq && (r.region === 'us-east' || r.attempts > 1))).toEqual([]);
    console.info(`kill -> traffic moved: ${moved.doneAt - killedAt} ms; ${retried.length} requests retried; 0 of ${records.length} failed`);

    // The door counted what the clients saw.
    const stats = provider.frontDoor!.stats();
    expect(stats.failures).toBe(0);
    expect(stats.served).toBe(records.length);
    expect(stats.retried).toBe(records.filter((r) => r.attempts > 1).length);
  });

  it('a hung region: GETs time out and are retried elsewhere; POSTs with bodies past the cap fail once and are counted', async () => {
    const { provider, url } = await startLab({ retry: { perTryTimeoutMillis: 800, maxBufferedBodyBytes: 1024 } });
    const big = 'x'.repeat(4096);
    // One POST in five, with a body over the cap; the rest GETs.
    const client = startSteadyClient({
      url,
      ratePerSecond: 100,
      maxRequests: 350,
      timeoutMillis: 5_000,
      next: (seq) => (seq % 5 === 4 ? { method: 'POST', path: '/kv/orders', body: big } : { method: 'GET', path: '/kv/steady' }),
    });
    while (client.records.length < 100) await new Promise((r) => setTimeout(r, 10));
    const hungAt = Date.now();
    const why: unknown[] = [];
    provider.frontDoor!.on('request:failed', (e) => why.push(e));
    await provider.hang('us-east');
    const records = await client.finished;

    expect(why.filter((e) => (e as { method: string }).method === 'GET')).toEqual([]);
    expect(failed(records, 'GET')).toEqual([]);
    const timedOut = records.filter((r) => r.method === 'GET' && r.attempts > 1);
    expect(timedOut.length).toBeGreaterThan(0);
    expect(timedOut.filter((r) => !(r.region !== 'us-east' && r.doneAt - r.sentAt >= 800))).toEqual([]);
    const failedPosts = failed(records, 'POST');
    // Every failed POST was sent to the hung region, once (504, no retry). A POST
    // sent just before the hang can still have reached the region after it (CI
    // under load failed on `sentAt >= hungAt`): what counts is that it was in
    // flight once the region hung, and the door says where it went and why.
    expect(failedPosts.length).toBeGreaterThan(0);
    expect(failedPosts.filter((r) => !(r.status === 504 && r.doneAt - r.sentAt >= 800 && r.doneAt >= hungAt + 800)).map((r) => ({ ...r, hungAt }))).toEqual([]);
    const postFailures = why.filter((e) => (e as { method: string }).method === 'POST');
    expect(postFailures).toHaveLength(failedPosts.length);
    expect(postFailures.filter((e) => !isEqual(e, { tried: ['us-east'], attempts: 1, reason: 'timeout' }))).toEqual([]);
    const stats = provider.frontDoor!.stats();
    expect(stats.failures).toBe(failedPosts.length);
    expect(stats.retried).toBe(records.filter((r) => r.attempts > 1).length);
    console.info(`hang: ${timedOut.length} GETs timed out and were retried, ${failedPosts.length} POSTs over the cap failed, of ${records.length}`);
  });

  it('a region answering 30 % of requests with 500: degraded or ejected within 10 s, idempotent requests retried, no GET fails', async () => {
    const { provider, url, transitions, ejected } = await startLab();
    const client = startSteadyClient({ url, ratePerSecond: 100, maxRequests: 600 });
    while (client.records.length < 50) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await provider.failRate('us-east', 0.3);
    const judged = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => done('neither within 10 s'), 10_000);
      const subs = [
        lab!.monitor.on('region:degraded', (e) => e.regionId === 'us-east' && done('degraded')),
        lab!.monitor.on('region:ejected', (e) => e.regionId === 'us-east' && done(`ejected (${e.rule})`)),
      ];
      function done(what: string): void {
        clearTimeout(timer);
        for (const sub of subs) sub.dispose();
        resolve(what);
      }
    });
    expect(judged).toMatch(/^(degraded|ejected)/);
    const records = await client.finished;
    expect(failed(records, 'GET')).toEqual([]);
    expect(records.filter((r) => r.attempts > 1).length).toBeGreaterThan(0);
    console.info(
      `30 % 500s: ${judged} after ${Date.now() - started} ms or less (${[...transitions.map((t) => t.state), ...ejected.map((e) => `ejected:${e.rule}`)].join(', ')}); ` +
        `${records.filter((r) => r.attempts > 1).length} of ${records.length} retried, 0 failed`,
    );
  });
});
