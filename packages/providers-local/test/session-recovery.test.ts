// Sessions survive a SIGKILLed region: real region processes persisting their
// sessions (dataDir), 1 000 sessions with writes going on, checkpoints every
// second, the HealthMonitor declaring the region unhealthy and autoEvacuate
// recovering its sessions through a GeoRouter. Counted from the regions.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { defineRegions, HealthMonitor } from '@meridian/core';
import { GeoDatabase, GeoRouter } from '@meridian/georouter';
import { createLocalProvider, createLocalSessionAdapter, type LocalProvider } from '@meridian/providers-local';
import { autoEvacuate, MemorySnapshotStore, SessionCheckpointer, SessionMigrator, SnapshotCodec, type AutoEvacuationOutcome, type RegionRecoveryResult } from '@meridian/session-migration';
import { dbipNetworks, findLeakedProcesses, outageSnapshotStore, seedRegions, waitForEvent, writeMmdb } from '@meridian/testkit';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

const SESSIONS = 1_000;
const INTERVAL = 1_000;
const VICTIM = 'us-east';
// One client address per region's neighbourhood, so the GeoRouter spreads the recovered sessions.
const CLIENT_IPS = ['3.0.0.10', '8.8.8.8', '99.224.0.10', '81.2.69.160', '85.214.1.1', '95.24.1.1', '203.116.1.1', '49.204.1.1'];

let provider: LocalProvider | undefined;
let dataDir: string | undefined;
let pids: number[] = [];
const cleanups: Array<() => Promise<unknown> | unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await provider?.stop();
  expect(await findLeakedProcesses(pids)).toEqual([]);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  provider = undefined;
  dataDir = undefined;
});

async function scenario(options: { storeDownMillis?: number } = {}) {
  dataDir = mkdtempSync(join(os.tmpdir(), 'meridian-recovery-'));
  provider = createLocalProvider({ regions: seedRegions(4), dataDir });
  await provider.deploy({ name: 'recovery', regions: [] });
  pids = provider.pids();
  const p = provider;
  const endpoint = (id: string) => p.regions().find((r) => r.id === id)!.endpoint;
  const agent = new Agent({ connections: 16 });
  cleanups.push(() => agent.close());

  // Probes patient enough that a loaded machine (CI runs test files in parallel) does not fail a live region:
  // a killed one refuses connections at once, so it is still found in about a second.
  const monitor = new HealthMonitor({ regions: p.regions(), intervalMillis: 400, timeoutMillis: 350, failuresBeforeUnhealthy: 3, successesBeforeHealthy: 2, jitterFraction: 0 });
  const falseAlarms: string[] = [];
  monitor.on('region:unhealthy', (e) => e.regionId !== VICTIM && falseAlarms.push(`${e.regionId}: ${e.reason}`));
  const router = new GeoRouter({ regions: defineRegions(p.regions()), database: GeoDatabase.fromBuffer(writeMmdb({ networks: dbipNetworks() })), monitor });
  const codec = new SnapshotCodec({ keys: [{ id: 'k', key: randomBytes(32) }] });
  const storage = outageSnapshotStore(new MemorySnapshotStore());
  const adapter = createLocalSessionAdapter(p);
  const migrator = new SessionMigrator({ adapter, codec, store: storage.store, router, regions: p.regions() });
  cleanups.push(() => migrator.close());

  // 1 000 sessions, a quarter in each region (>= 250 in the victim), each with a client address.
  const acked = new Map<string, number[]>();
  const ids: string[] = [];
  const regionIds = p.regions().map((r) => r.id);
  for (let i = 0; i < SESSIONS; i++) {
    const id = `s${i}`;
    const region = regionIds[i % regionIds.length]!;
    const res = await request(`${endpoint(region)}/sessions/${id}`, { method: 'PUT', body: JSON.stringify({ id, n: 0 }), dispatcher: agent });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    migrator.register({ id, region, metadata: { clientIp: CLIENT_IPS[i % CLIENT_IPS.length]! } });
    acked.set(id, [0]);
    ids.push(id);
  }
  expect(migrator.sessions(VICTIM).length).toBeGreaterThanOrEqual(250);

  const allHealthy = Promise.all(regionIds.map((id) => waitForEvent(monitor, 'region:healthy', { filter: (e) => e.regionId === id, timeoutMillis: 10_000 })));
  await monitor.start();
  cleanups.push(() => monitor.stop());
  await allHealthy;

  const checkpointer = new SessionCheckpointer({ adapter, codec, store: storage.store, source: migrator, checkpointIntervalMillis: INTERVAL, concurrency: 32 });
  cleanups.push(() => checkpointer.close());
  let maxRoundMillis = 0;
  // Start of the latest round that completed before the kill: no restored state can be older than it.
  let lastRoundStartedAt = 0;
  let killed = false;
  checkpointer.on('checkpoint:completed', (r) => {
    maxRoundMillis = Math.max(maxRoundMillis, r.durationMillis);
    if (!killed) lastRoundStartedAt = r.startedAt;
  });
  const firstRound = waitForEvent(checkpointer, 'checkpoint:completed', { timeoutMillis: 10_000 });
  await checkpointer.start();
  expect((await firstRound).written).toBe(SESSIONS);

  // Writes to sessions go on through the kill: each to where the migrator says the session is.
  let writing = true;
  let n = 0;
  const writer = (async () => {
    while (writing) {
      const id = ids[Math.floor(Math.random() * ids.length)]!;
      const session = migrator.getSession(id)!;
      if (session.state !== 'active') continue;
      const value = ++n;
      try {
        const res = await request(`${endpoint(session.region)}/sessions/${id}`, { method: 'PUT', body: JSON.stringify({ id, n: value }), dispatcher: agent, headersTimeout: 1_000 });
        await res.body.dump();
        if (res.statusCode === 200) acked.get(id)!.push(value);
      } catch {
        // The victim refuses connections once killed: not acknowledged, not counted.
      }
      await new Promise((resolve) => setTimeout(resolve, 4));
    }
  })();
  cleanups.push(async () => {
    writing = false;
    await writer;
  });

  // The recovery's own result, so a failure names each session and why.
  let result: RegionRecoveryResult | undefined;
  const recoverRegion = migrator.recoverRegion.bind(migrator);
  migrator.recoverRegion = async (...args) => (result = await recoverRegion(...args));
  const outcomes: AutoEvacuationOutcome[] = [];
  const wiring = autoEvacuate({ migrator, monitor, onOutcome: (o) => outcomes.push(o) });
  cleanups.push(() => wiring.close());
  if (options.storeDownMillis) {
    // The snapshot store goes down as the recovery starts, for a while.
    migrator.on('region:recovering', () => {
      storage.setDown(true);
      setTimeout(() => storage.setDown(false), options.storeDownMillis).unref();
    });
  }

  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const unhealthy = waitForEvent(monitor, 'region:unhealthy', { filter: (e) => e.regionId === VICTIM, timeoutMillis: 10_000 });
  const recovering = waitForEvent(migrator, 'region:recovering', { filter: (e) => e.regionId === VICTIM, timeoutMillis: 10_000 });
  const recovered = waitForEvent(migrator, 'region:recovered', { filter: (e) => e.regionId === VICTIM, timeoutMillis: 40_000 });
  const killedAt = Date.now();
  killed = true;
  await p.kill(VICTIM);
  await unhealthy;
  const unhealthyAt = Date.now();
  await recovering;
  const recoveryStartedAt = Date.now();
  const done = await recovered;
  const recoveredAt = Date.now();
  writing = false;
  await writer;

  // Counted from the regions themselves: every session active in exactly one live region.
  const activeIn = new Map<string, string[]>();
  const states = new Map<string, number>();
  for (const region of regionIds.filter((r) => r !== VICTIM)) {
    const res = await request(`${endpoint(region)}/sessions`, { dispatcher: agent });
    const items = ((await res.body.json()) as { items: Array<{ key: string; status: string; state: { n: number } }> }).items;
    for (const item of items.filter((x) => x.status === 'active')) {
      activeIn.set(item.key, [...(activeIn.get(item.key) ?? []), region]);
      states.set(item.key, item.state.n);
    }
  }
  const why = () => `failed: ${JSON.stringify(result?.failed.slice(0, 5))}; live regions declared unhealthy meanwhile: ${JSON.stringify(falseAlarms)}`;
  return { why, p, endpoint, agent, migrator, acked, ids, done, outcomes, activeIn, states, maxRoundMillis, lastRoundStartedAt, killedAt, unhealthyAt, recoveryStartedAt, recoveredAt, regionIds };
}

describe('a SIGKILLed region holding 1 000 sessions (real processes)', () => {
  it('recovers every session elsewhere within 5 s: 0 lost, each active in exactly one region, staleness bounded; the restarted region serves none of its stale copies', async () => {
    const r = await scenario();
    expect(r.done, r.why()).toMatchObject({ regionId: VICTIM, lost: 0, failed: 0 });
    expect(r.done.recovered).toBeGreaterThanOrEqual(250);
    console.log(
      `killed ${VICTIM}: unhealthy after ${r.unhealthyAt - r.killedAt} ms; ${r.done.recovered} sessions recovered in ${r.done.durationMillis} ms ` +
        `(${r.recoveredAt - r.unhealthyAt} ms after region:unhealthy), max staleness ${r.done.maxStalenessMillis} ms, max checkpoint round ${r.maxRoundMillis} ms`,
    );
    expect(r.recoveredAt - r.unhealthyAt).toBeLessThanOrEqual(5_000);
    // The window of lost writes: every session was checkpointed (or found current) by the last round completed
    // before the kill, so no state is dated before that round's start. (A bound from the interval and the longest
    // round instead failed under load: a round's timer fires late when the event loop is busy.)
    expect(r.lastRoundStartedAt).toBeGreaterThan(0);
    expect(r.done.maxStalenessMillis).toBeLessThanOrEqual(r.recoveryStartedAt - r.lastRoundStartedAt + 50);
    expect(r.migrator.statistics()).toMatchObject({ lost: 0, byState: { active: SESSIONS, lost: 0, suspended: 0, migrating: 0 } });
    for (const id of r.ids) {
      expect(r.activeIn.get(id), id).toHaveLength(1);
      expect(r.activeIn.get(id)![0]).toBe(r.migrator.getSession(id)!.region);
      // Restored from a state the region had acknowledged: never from garbage, never a value nobody wrote.
      expect(r.acked.get(id)).toContain(r.states.get(id));
    }

    // The killed region comes back with its sessions on disk: every copy it holds is suspended, none serves.
    const reconciled = waitForEvent(r.migrator, 'region:reconciled', { filter: (e) => e.regionId === VICTIM, timeoutMillis: 15_000 });
    await r.p.restart(VICTIM);
    pids = [...pids, ...r.p.pids()];
    const back = await request(`${r.endpoint(VICTIM)}/sessions`, { dispatcher: r.agent });
    const held = ((await back.body.json()) as { items: Array<{ key: string; status: string }> }).items;
    expect(held.length).toBe(r.done.recovered);
    expect(held.filter((x) => x.status === 'active')).toEqual([]);
    // Once healthy again, autoEvacuate reconciles it: the stale copies are gone.
    expect(await reconciled).toMatchObject({ discarded: r.done.recovered, failed: 0 });
    const after = await request(`${r.endpoint(VICTIM)}/sessions`, { dispatcher: r.agent });
    expect(((await after.body.json()) as { items: unknown[] }).items).toEqual([]);
  }, 90_000);

  it('with the snapshot store down for 2 s in the middle of the recovery: still 0 lost, every session active in exactly one region', async () => {
    const r = await scenario({ storeDownMillis: 2_000 });
    console.log(`store down 2 s mid-recovery: ${r.done.recovered} recovered in ${r.done.durationMillis} ms, lost ${r.done.lost}, failed ${r.done.failed}`);
    expect(r.done, r.why()).toMatchObject({ regionId: VICTIM, lost: 0, failed: 0 });
    expect(r.done.durationMillis).toBeGreaterThanOrEqual(1_500); // it really waited the outage out
    for (const id of r.ids) expect(r.activeIn.get(id), id).toHaveLength(1);
    expect(r.migrator.statistics()).toMatchObject({ lost: 0, byState: { active: SESSIONS } });
  }, 90_000);
});
