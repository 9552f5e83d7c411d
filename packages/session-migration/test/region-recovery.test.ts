// Recovery of a dead region's sessions from their checkpoints, on virtual time:
// staleness, lost by id, fencing epochs in the registry, a snapshot store that
// is down mid-recovery, reconciliation of a region that comes back.
import { randomBytes } from 'node:crypto';
import { ManualClock, MemorySessionRegistry, MeridianError, type HeldSession, type SessionAdapter } from '@meridian/core';
import { TypedEmitter } from '@meridian/core/spi';
import { autoEvacuate, MemorySnapshotStore, SessionCheckpointer, SessionMigrator, SnapshotCodec, checkpointKey, type AutoEvacuationOutcome } from '@meridian/session-migration';
import { collectEvents, outageSnapshotStore } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';

const key = randomBytes(32);
const codec = new SnapshotCodec({ keys: [{ id: 'k1', key }] });
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Copy {
  status: 'active' | 'suspended';
  epoch: number;
  state: { n: number };
}

/** Regions in memory that keep epochs and refuse what a local region refuses; a dead region refuses the connection. */
function regionsAdapter() {
  const held = new Map<string, Copy>();
  const dead = new Set<string>();
  const reach = (region: string) => {
    if (dead.has(region)) throw new MeridianError('REGION_UNAVAILABLE', `region "${region}" did not answer: ECONNREFUSED`, { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
  };
  const at = (id: string, region: string) => {
    reach(region);
    const copy = held.get(`${region}/${id}`);
    if (!copy) throw new MeridianError('SESSION_NOT_FOUND', `session "${id}" is not in region "${region}"`, { details: { sessionId: id, regionId: region } });
    return copy;
  };
  const adapter: SessionAdapter = {
    snapshot: async (ref) => structuredClone(at(ref.id, ref.region).state),
    suspend: async (ref, region) => void (at(ref.id, region).status = 'suspended'),
    restore: async (ref, region, state, options) => {
      reach(region);
      const current = held.get(`${region}/${ref.id}`);
      if (current && options.epoch !== undefined && options.epoch < current.epoch) throw new MeridianError('SESSION_FENCED', 'older epoch', { details: { sessionId: ref.id } });
      held.set(`${region}/${ref.id}`, { status: 'suspended', epoch: options.epoch ?? 0, state: structuredClone(state) as { n: number } });
    },
    activate: async (ref, region, options) => {
      const copy = at(ref.id, region);
      if (options.epoch !== undefined && options.epoch < copy.epoch) {
        throw new MeridianError('SESSION_FENCED', `epoch ${options.epoch} < ${copy.epoch}`, { details: { sessionId: ref.id, regionId: region, epoch: options.epoch, currentEpoch: copy.epoch } });
      }
      copy.status = 'active';
      if (options.epoch !== undefined) copy.epoch = options.epoch;
    },
    discard: async (ref, region) => {
      reach(region);
      held.delete(`${region}/${ref.id}`);
    },
    version: async (ref) => at(ref.id, ref.region).state.n,
    list: async (region): Promise<HeldSession[]> => {
      reach(region);
      return [...held.entries()].filter(([k]) => k.startsWith(`${region}/`)).map(([k, c]) => ({ id: k.slice(region.length + 1), status: c.status, epoch: c.epoch }));
    },
  };
  /** Regions where each session is active, counted from the regions. */
  const activeIn = (id: string) => [...held.entries()].filter(([k, c]) => k.endsWith(`/${id}`) && c.status === 'active' && !dead.has(k.split('/')[0]!)).map(([k]) => k.split('/')[0]);
  return { adapter, held, dead, activeIn };
}

function setup(sessions = 10) {
  const clock = new ManualClock(1_000_000);
  const regions = regionsAdapter();
  const storage = outageSnapshotStore(new MemorySnapshotStore());
  const registry = new MemorySessionRegistry();
  // A control plane on these regions, store, registry and clock (called again: one that takes over from it).
  const controlPlane = () => new SessionMigrator({ adapter: regions.adapter, codec, store: storage.store, registry, clock, timeoutMillis: 1_000, recoveryTimeoutMillis: 10_000 });
  const migrator = controlPlane();
  const checkpointer = new SessionCheckpointer({ adapter: regions.adapter, codec, store: storage.store, source: migrator, clock, checkpointIntervalMillis: 5_000 });
  for (let i = 0; i < sessions; i++) {
    regions.held.set(`us-east/s${i}`, { status: 'active', epoch: 0, state: { n: 1 } });
    migrator.register({ id: `s${i}`, region: 'us-east' });
  }
  return { clock, regions, storage, registry, migrator, checkpointer, controlPlane };
}

describe('recoverRegion', () => {
  it('restores every session of a dead region from its checkpoint, under the next epoch, with its staleness; one with no checkpoint is lost by id', async () => {
    const { clock, regions, registry, migrator, checkpointer } = setup(3);
    await checkpointer.checkpointNow();
    clock.advance(1_500);
    regions.held.get('us-east/s0')!.state.n = 2; // written after the checkpoint: lost with the region, and reported as staleness
    regions.held.set('us-east/late', { status: 'active', epoch: 0, state: { n: 9 } });
    migrator.register({ id: 'late', region: 'us-east' }); // registered after the last checkpoint round
    regions.dead.add('us-east');
    clock.advance(500);
    const recovered = collectEvents(migrator, 'session:recovered');
    const lost = collectEvents(migrator, 'session:lost');

    const result = await migrator.recoverRegion('us-east', { to: 'eu-west' });

    expect(result.recovered.map((r) => r.sessionId).sort()).toEqual(['s0', 's1', 's2']);
    expect(result.recovered.every((r) => r.to === 'eu-west' && r.epoch === 1 && r.stalenessMillis === 2_000 && r.restoredFrom === 'checkpoint')).toBe(true);
    expect(result.maxStalenessMillis).toBe(2_000);
    expect(result.lost).toEqual([{ sessionId: 'late', reason: 'no-checkpoint', error: expect.stringContaining('before its first checkpoint') }]);
    expect(lost.events).toEqual([expect.objectContaining({ sessionId: 'late', region: 'us-east', reason: 'no-checkpoint' })]);
    expect(recovered.events).toHaveLength(3);
    for (const id of ['s0', 's1', 's2']) {
      expect(regions.activeIn(id)).toEqual(['eu-west']);
      expect(regions.held.get(`eu-west/${id}`)).toMatchObject({ status: 'active', epoch: 1, state: { n: 1 } });
      expect(await registry.get(id)).toMatchObject({ region: 'eu-west', state: 'active', epoch: 1, migrations: 1 });
    }
    expect(migrator.getSession('late')).toMatchObject({ state: 'lost', region: 'us-east' });
    expect(migrator.statistics()).toMatchObject({ recovered: 3, lost: 1, maxStalenessMillis: 2_000, byState: { active: 3, lost: 1, suspended: 0, migrating: 0 } });
    await checkpointer.close();
  });

  it('dates an unchanged session by the last round that found its checkpoint current (the round manifest), not by when it was written', async () => {
    const { clock, regions, migrator, checkpointer } = setup(2);
    await checkpointer.checkpointNow(); // both written at t0
    clock.advance(5_000);
    regions.held.get('us-east/s1')!.state.n = 7; // s1 changes; s0 does not
    await checkpointer.checkpointNow(); // t0+5000: s0 unchanged (confirmed), s1 written
    clock.advance(5_000);
    await checkpointer.checkpointNow(); // t0+10000: both confirmed unchanged
    clock.advance(800);
    regions.dead.add('us-east');
    const result = await migrator.recoverRegion('us-east', { to: 'eu-west' });
    const staleness = Object.fromEntries(result.recovered.map((r) => [r.sessionId, r.stalenessMillis]));
    expect(staleness).toEqual({ s0: 800, s1: 800 });
    expect(regions.held.get('eu-west/s1')?.state).toEqual({ n: 7 });
    await checkpointer.close();
  });

  it('a round cut short by the region dying keeps the earlier confirmation of the sessions it could not reach', async () => {
    const { clock, regions, migrator, checkpointer } = setup(2);
    await checkpointer.checkpointNow(); // t0: both written
    clock.advance(5_000);
    await checkpointer.checkpointNow(); // t0+5000: both confirmed unchanged
    clock.advance(5_000);
    // The region dies during the next round: s0 is still reached, s1 no longer.
    const version = regions.adapter.version!.bind(regions.adapter);
    regions.adapter.version = async (ref, options) => (ref.id === 's1' ? Promise.reject(new Error('connect ECONNREFUSED')) : version(ref, options));
    expect(await checkpointer.checkpointNow()).toMatchObject({ unchanged: 1, failed: 1 }); // t0+10000
    clock.advance(800);
    regions.dead.add('us-east');
    const result = await migrator.recoverRegion('us-east', { to: 'eu-west' });
    const staleness = Object.fromEntries(result.recovered.map((r) => [r.sessionId, r.stalenessMillis]));
    // s1 was last found current by the round at t0+5000 (not dated by its write at t0: 10 800).
    expect(staleness).toEqual({ s0: 800, s1: 5_800 });
    await checkpointer.close();
  });

  it('a region declared unhealthy that still answers (a false alarm): its copy is suspended first and its live state restored — nothing lost, never active twice', async () => {
    const { regions, migrator, checkpointer } = setup(2);
    await checkpointer.checkpointNow();
    regions.held.get('us-east/s0')!.state.n = 42; // written after the checkpoint
    const result = await migrator.recoverRegion('us-east', { to: 'eu-west' });
    expect(result.recovered.map((r) => [r.sessionId, r.restoredFrom, r.stalenessMillis]).sort()).toEqual([
      ['s0', 'live', 0],
      ['s1', 'live', 0],
    ]);
    expect(regions.held.get('eu-west/s0')).toMatchObject({ status: 'active', state: { n: 42 } });
    for (const id of ['s0', 's1']) expect(regions.activeIn(id)).toEqual(['eu-west']);
    await checkpointer.close();
  });

  it('reports a tampered, a truncated and a rotated-out checkpoint as lost (checkpoint-corrupt): never restored from garbage', async () => {
    const { regions, storage, migrator, checkpointer } = setup(3);
    await checkpointer.checkpointNow();
    const stored = (await storage.inner.get(checkpointKey('s0')))!;
    const tampered = Buffer.from(stored.bytes);
    tampered[tampered.length - 5]! ^= 0xff;
    await storage.inner.put(checkpointKey('s0'), tampered);
    const rotated = new SnapshotCodec({ keys: [{ id: 'k2', key: randomBytes(32) }] });
    await storage.inner.put(checkpointKey('s1'), rotated.encode({ kind: 'meridian.checkpoint/1', sessionId: 's1', region: 'us-east', takenAt: 1, state: { n: 1 } }));
    const whole = (await storage.inner.get(checkpointKey('s2')))!.bytes;
    await storage.inner.put(checkpointKey('s2'), whole.subarray(0, Math.floor(whole.length / 2)));
    regions.dead.add('us-east');

    const result = await migrator.recoverRegion('us-east', { to: 'eu-west' });
    expect(result.recovered).toEqual([]);
    expect(result.lost.map((l) => [l.sessionId, l.reason]).sort()).toEqual([
      ['s0', 'checkpoint-corrupt'],
      ['s1', 'checkpoint-corrupt'],
      ['s2', 'checkpoint-corrupt'],
    ]);
    expect(result.lost.find((l) => l.sessionId === 's1')!.error).toMatch(/k2/);
    expect(regions.held.has('eu-west/s2')).toBe(false);
    expect(regions.held.has('eu-west/s0')).toBe(false);
    expect(regions.held.has('eu-west/s1')).toBe(false);
    await checkpointer.close();
  });

  it('rides out a snapshot store that is down for 2 s mid-recovery: backoff on the clock, 0 lost, all recovered', async () => {
    const { clock, regions, storage, migrator, checkpointer } = setup(20);
    await checkpointer.checkpointNow();
    regions.dead.add('us-east');
    storage.setDown(true);
    const run = migrator.recoverRegion('us-east', { to: 'eu-west' });
    for (let t = 0; t < 2_000; t += 100) {
      await tick();
      clock.advance(100);
    }
    expect(migrator.statistics().byState).toMatchObject({ suspended: 20, active: 0 }); // honest while waiting
    storage.setDown(false);
    for (let t = 0; t < 2_000; t += 100) {
      await tick();
      clock.advance(100);
    }
    const result = await run;
    expect(result.lost).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(result.recovered).toHaveLength(20);
    for (let i = 0; i < 20; i++) expect(regions.activeIn(`s${i}`)).toEqual(['eu-west']);
    await checkpointer.close();
  });

  it('a store down past recoveryTimeoutMillis leaves sessions suspended with their checkpoint kept (failed, not lost); a later call recovers them', async () => {
    const { clock, regions, storage, migrator, checkpointer } = setup(2);
    await checkpointer.checkpointNow();
    regions.dead.add('us-east');
    storage.setDown(true);
    const run = migrator.recoverRegion('us-east', { to: 'eu-west' });
    for (let t = 0; t < 12_000; t += 100) {
      await tick();
      clock.advance(100);
    }
    const first = await run;
    expect(first.failed.map((f) => f.sessionId).sort()).toEqual(['s0', 's1']);
    expect(first.failed[0]!.error).toMatch(/gave up after .* snapshot store is down .* checkpoint kept/);
    expect(first.lost).toEqual([]);
    expect(migrator.statistics()).toMatchObject({ lost: 0, byState: { suspended: 2 } });
    storage.setDown(false);
    const second = await migrator.recoverRegion('us-east', { to: 'eu-west' });
    expect(second.recovered).toHaveLength(2);
    await checkpointer.close();
  });

  it('fencing: a second control plane that loaded the registry recovers; the first, working from its old view, cannot activate anything', async () => {
    const { clock, regions, registry, storage, migrator: first, checkpointer } = setup(3);
    await checkpointer.checkpointNow();
    await first.flush();
    const second = new SessionMigrator({ adapter: regions.adapter, codec, store: storage.store, registry, clock, timeoutMillis: 1_000 });
    expect(await second.load()).toBe(3);
    expect(second.sessions('us-east')).toHaveLength(3);
    regions.dead.add('us-east');
    const byB = await second.recoverRegion('us-east', { to: 'eu-west' });
    expect(byB.recovered).toHaveLength(3);

    // The first instance still thinks the sessions are in us-east at epoch 0.
    const byA = await first.recoverRegion('us-east', { to: 'ap-south' });
    expect(byA.recovered).toEqual([]);
    expect(byA.skipped.sort()).toEqual(['s0', 's1', 's2']);
    for (let i = 0; i < 3; i++) {
      expect(regions.activeIn(`s${i}`)).toEqual(['eu-west']);
      expect(regions.held.has(`ap-south/s${i}`)).toBe(false); // its restored copies were discarded
      expect(first.getSession(`s${i}`)).toMatchObject({ region: 'eu-west', epoch: 1 }); // its view followed the registry
    }
    // A registry put under an old epoch is refused: epochs never go back.
    await expect(registry.put({ ...(await registry.get('s0'))!, region: 'us-east', epoch: 0 })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    await checkpointer.close();
  });

  it('reconcileRegion: a region that comes back has its stale copies discarded; copies of sessions still registered there are activated again', async () => {
    const { regions, migrator, checkpointer } = setup(3);
    await checkpointer.checkpointNow();
    regions.dead.add('us-east');
    await migrator.recoverRegion('us-east', { to: 'eu-west' });
    // s3 lives in us-east, was never recovered (registered after the outage was over, in a test); the region comes back holding everything.
    regions.dead.delete('us-east');
    for (let i = 0; i < 3; i++) regions.held.get(`us-east/s${i}`)!.status = 'suspended'; // a restarted region holds old copies suspended
    regions.held.set('us-east/s3', { status: 'suspended', epoch: 0, state: { n: 5 } });
    migrator.register({ id: 's3', region: 'us-east' });
    const result = await migrator.reconcileRegion('us-east');
    expect(result.discarded.sort()).toEqual(['s0', 's1', 's2']);
    expect(result.reactivated).toEqual(['s3']);
    for (let i = 0; i < 3; i++) expect(regions.activeIn(`s${i}`)).toEqual(['eu-west']);
    expect(regions.activeIn('s3')).toEqual(['us-east']);
    // An old copy activated under its old epoch is refused by the region that holds the new one.
    await expect(regions.adapter.activate({ id: 's0', region: 'eu-west', metadata: {} }, 'eu-west', { signal: new AbortController().signal, epoch: 0 })).rejects.toMatchObject({ code: 'SESSION_FENCED' });
    await checkpointer.close();
  });

  it('reconcileRegion after load: a session a stopped control plane left migrating is its registered region\'s, activated there; the copy restored in the target is discarded', async () => {
    const regions = regionsAdapter();
    const registry = new MemorySessionRegistry();
    // What a control plane that died mid-move left: registered in us-east (the move never committed), migrating;
    // the region restarted with its copy suspended, and the target holds a restored copy under the next epoch.
    await registry.put({ id: 'm', region: 'us-east', state: 'migrating', epoch: 0, metadata: {}, migrations: 0, updatedAt: 1 });
    regions.held.set('us-east/m', { status: 'suspended', epoch: 0, state: { n: 7 } });
    regions.held.set('eu-west/m', { status: 'suspended', epoch: 1, state: { n: 7 } });
    const migrator = new SessionMigrator({ adapter: regions.adapter, codec, store: new MemorySnapshotStore(), registry, timeoutMillis: 1_000 });
    expect(await migrator.load()).toBe(1);
    expect((await migrator.reconcileRegion('us-east')).reactivated).toEqual(['m']);
    expect((await migrator.reconcileRegion('eu-west')).discarded).toEqual(['m']);
    expect(regions.activeIn('m')).toEqual(['us-east']);
    expect([...regions.held.keys()]).toEqual(['us-east/m']);
    expect(migrator.getSession('m')).toMatchObject({ region: 'us-east', state: 'active', epoch: 0 });
    await migrator.flush();
    expect(await registry.get('m')).toMatchObject({ state: 'active', region: 'us-east' });
    await migrator.close();
  });

  it('reconcileRegion: the copy a region kept of a session registered back to it under a newer epoch (a recovery whose target would not activate) is activated, not discarded: its live state kept', async () => {
    const { clock, regions, registry, migrator, checkpointer } = setup(1);
    await checkpointer.checkpointNow();
    regions.held.get('us-east/s0')!.state.n = 2; // written after the checkpoint
    // us-east declared unhealthy but still answering; eu-west takes the restore and refuses every activation.
    const activate = regions.adapter.activate;
    regions.adapter.activate = async (ref, region, options) => {
      if (region === 'eu-west') throw new MeridianError('REGION_UNAVAILABLE', 'eu-west refused the activation');
      return activate(ref, region, options);
    };
    const run = migrator.recoverRegion('us-east', { to: 'eu-west' });
    for (let t = 0; t < 12_000; t += 100) {
      await tick();
      clock.advance(100);
    }
    const recovery = await run;
    expect(recovery.failed.map((f) => f.sessionId)).toEqual(['s0']);
    const registered = migrator.getSession('s0')!;
    expect(registered).toMatchObject({ region: 'us-east', state: 'suspended' });
    expect(registered.epoch).toBeGreaterThan(0);
    expect(regions.held.get('us-east/s0')).toMatchObject({ status: 'suspended', epoch: 0, state: { n: 2 } });
    regions.adapter.activate = activate;

    const result = await migrator.reconcileRegion('us-east');
    expect(result).toMatchObject({ discarded: [], reactivated: ['s0'], failed: [] });
    expect(regions.held.get('us-east/s0')).toMatchObject({ status: 'active', epoch: registered.epoch, state: { n: 2 } });
    expect(regions.activeIn('s0')).toEqual(['us-east']);
    await migrator.flush();
    expect(await registry.get('s0')).toMatchObject({ region: 'us-east', state: 'active', epoch: registered.epoch });
    await checkpointer.close();
  });

  it('reconcileRegion restoreMissing: sessions a region restarted without are restored there from their checkpoint under the next epoch; one with no checkpoint is lost by id; counted from the region', async () => {
    const { clock, regions, registry, migrator, checkpointer } = setup(3);
    await checkpointer.checkpointNow();
    clock.advance(1_000);
    regions.held.set('us-east/late', { status: 'active', epoch: 0, state: { n: 9 } });
    migrator.register({ id: 'late', region: 'us-east' }); // after the last checkpoint round
    clock.advance(1_000);
    // The region restarts keeping only s2 (suspended, as a restarted region does); s0, s1 and late are gone from it.
    regions.held.clear();
    regions.held.set('us-east/s2', { status: 'suspended', epoch: 0, state: { n: 1 } });
    // Registered at the very moment the region is listed: it may not be in the region yet, so it is not touched.
    regions.held.set('eu-west/fresh', { status: 'active', epoch: 0, state: { n: 3 } });
    migrator.register({ id: 'fresh', region: 'us-east' });

    // Without restoreMissing, what the region does not hold is left as registered (the behaviour before the option).
    const plain = await migrator.reconcileRegion('us-east');
    expect(plain).toMatchObject({ reactivated: ['s2'], restored: [], lost: [], failed: [] });
    expect(migrator.getSession('s0')).toMatchObject({ state: 'active', epoch: 0 });

    const lost = collectEvents(migrator, 'session:lost');
    const reconciled = collectEvents(migrator, 'region:reconciled');
    const result = await migrator.reconcileRegion('us-east', { restoreMissing: true });

    expect(result.restored.map((r) => r.sessionId).sort()).toEqual(['s0', 's1']);
    for (const r of result.restored) expect(r).toMatchObject({ from: 'us-east', to: 'us-east', epoch: 1, restoredFrom: 'checkpoint', stalenessMillis: 2_000 });
    expect(result.lost).toEqual([{ sessionId: 'late', reason: 'no-checkpoint', error: expect.stringContaining('us-east no longer holds it: it was lost before its first checkpoint') }]);
    expect(lost.events).toEqual([expect.objectContaining({ sessionId: 'late', region: 'us-east', reason: 'no-checkpoint' })]);
    expect(reconciled.events).toEqual([expect.objectContaining({ regionId: 'us-east', restored: 2, lost: 1, failed: 0 })]);
    expect(result.failed).toEqual([]);
    // Counted from the region: each restored session active there once, under its new epoch, with its checkpointed state.
    for (const id of ['s0', 's1']) {
      expect(regions.activeIn(id)).toEqual(['us-east']);
      expect(regions.held.get(`us-east/${id}`)).toMatchObject({ status: 'active', epoch: 1, state: { n: 1 } });
      expect(await registry.get(id)).toMatchObject({ region: 'us-east', state: 'active', epoch: 1 });
    }
    expect(regions.activeIn('s2')).toEqual(['us-east']);
    expect(migrator.getSession('late')).toMatchObject({ state: 'lost', region: 'us-east' });
    expect(migrator.getSession('fresh')).toMatchObject({ state: 'active', epoch: 0 });
    expect(migrator.statistics()).toMatchObject({ recovered: 2, lost: 1, byState: { active: 4, lost: 1, suspended: 0, migrating: 0 } });
    await migrator.flush();
    expect(await registry.get('late')).toMatchObject({ state: 'lost' });
    await checkpointer.close();
  });

  it('reconcileRegion restoreMissing with the snapshot store down: failed and suspended, never lost, checkpoint kept; the next reconcile restores them', async () => {
    const { clock, regions, storage, migrator, checkpointer } = setup(2);
    await checkpointer.checkpointNow();
    clock.advance(1_000);
    regions.held.clear(); // the region restarted without its sessions
    storage.setDown(true);
    const run = migrator.reconcileRegion('us-east', { restoreMissing: true });
    for (let t = 0; t < 12_000; t += 100) {
      await tick();
      clock.advance(100);
    }
    const first = await run;
    expect(first.failed.map((f) => f.sessionId).sort()).toEqual(['s0', 's1']);
    expect(first.lost).toEqual([]);
    expect(migrator.statistics()).toMatchObject({ lost: 0, byState: { suspended: 2, active: 0 } });
    storage.setDown(false);
    const second = await migrator.reconcileRegion('us-east', { restoreMissing: true });
    expect(second.restored.map((r) => r.sessionId).sort()).toEqual(['s0', 's1']);
    for (const id of ['s0', 's1']) expect(regions.activeIn(id)).toEqual(['us-east']);
    expect(migrator.statistics()).toMatchObject({ lost: 0, byState: { active: 2 } });
    await checkpointer.close();
  });

  it('a control plane that dies mid-move while the source loses its copy too: its successor restores the migration\'s snapshot in the source (newer than the checkpoint), nothing lost; the target\'s copy is discarded', async () => {
    const { clock, regions, storage, registry, migrator, checkpointer, controlPlane } = setup(1);
    await checkpointer.checkpointNow();
    clock.advance(3_000);
    regions.held.get('us-east/s0')!.state.n = 5; // written after the checkpoint: only the migration's snapshot has it
    // The target takes the restore, then its answer never comes: the control plane dies there, before the move commits.
    const restore = regions.adapter.restore;
    regions.adapter.restore = async (ref, region, state, options) => {
      await restore(ref, region, state, options);
      await new Promise<never>(() => undefined);
    };
    void migrator.migrate('s0', 'eu-west').done.catch(() => undefined); // never settles: abandoned with its process
    for (let i = 0; i < 20 && !regions.held.has('eu-west/s0'); i++) await tick();
    for (let i = 0; i < 20; i++) await tick(); // its registry and snapshot writes land
    expect(regions.held.get('eu-west/s0')).toMatchObject({ status: 'suspended', epoch: 1, state: { n: 5 } });
    const left = await registry.get('s0');
    expect(left).toMatchObject({ region: 'us-east', state: 'migrating', epoch: 0, pendingSnapshot: expect.any(String) });
    regions.adapter.restore = restore;
    // The source restarts without its suspended copy.
    regions.held.delete('us-east/s0');

    clock.advance(1_000);
    const successor = controlPlane();
    expect(await successor.load()).toBe(1);
    const lost = collectEvents(successor, 'session:lost');
    const source = await successor.reconcileRegion('us-east', { restoreMissing: true });
    expect(source.lost).toEqual([]);
    expect(source.restored).toEqual([expect.objectContaining({ sessionId: 's0', to: 'us-east', restoredFrom: 'snapshot', epoch: 1, stalenessMillis: 1_000 })]);
    expect((await successor.reconcileRegion('eu-west')).discarded).toEqual(['s0']);
    // Counted from the regions: active once, in us-east, with the state written after the checkpoint.
    expect(regions.activeIn('s0')).toEqual(['us-east']);
    expect([...regions.held.keys()]).toEqual(['us-east/s0']);
    expect(regions.held.get('us-east/s0')).toMatchObject({ status: 'active', state: { n: 5 } });
    expect(lost.events).toEqual([]);
    expect(successor.statistics()).toMatchObject({ lost: 0, recovered: 1, byState: { active: 1, migrating: 0, suspended: 0, lost: 0 } });
    await successor.flush();
    const record = await registry.get('s0');
    expect(record).toMatchObject({ region: 'us-east', state: 'active' });
    expect(record!.pendingSnapshot).toBeUndefined();
    expect(await storage.store.get(left!.pendingSnapshot!)).toBeUndefined(); // used, then removed
    await checkpointer.close();
    await successor.close();
  });

  it('a snapshot named in the record that is older than the checkpoint is not restored: the checkpoint is newer', async () => {
    const { clock, regions, storage, registry, checkpointer, controlPlane } = setup(1);
    const snapshotAt = clock.now();
    // A record left naming an old snapshot (a control plane that died after the move committed, before it tidied up).
    const key = `mig.${snapshotAt}.s0.m-old.1`; // the migrator's snapshot key form
    await storage.store.put(key, codec.encode({ sessionId: 's0', migrationId: 'm-old', from: 'us-east', to: 'eu-west', state: { n: 2 } }));
    clock.advance(2_000);
    regions.held.get('us-east/s0')!.state.n = 3;
    await checkpointer.checkpointNow();
    const stored = (await registry.get('s0'))!;
    await registry.put({ ...stored, pendingSnapshot: key }, { expectedEpoch: stored.epoch });
    regions.held.clear();
    const successor = controlPlane();
    await successor.load();
    const result = await successor.reconcileRegion('us-east', { restoreMissing: true });
    expect(result.restored).toEqual([expect.objectContaining({ sessionId: 's0', restoredFrom: 'checkpoint' })]);
    expect(regions.held.get('us-east/s0')).toMatchObject({ status: 'active', state: { n: 3 } });
    await checkpointer.close();
    await successor.close();
  });

  it('reconcileRegion restoreMissing needs a region that lists its sessions: refused with INVALID_ARGUMENT, nothing touched', async () => {
    const regions = regionsAdapter();
    const { list: _list, ...blind } = regions.adapter;
    const migrator = new SessionMigrator({ adapter: blind, codec, store: new MemorySnapshotStore(), timeoutMillis: 1_000 });
    migrator.register({ id: 's', region: 'us-east' });
    await expect(migrator.reconcileRegion('us-east', { restoreMissing: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/restoreMissing.*SessionAdapter\.list/) });
    expect(migrator.getSession('s')).toMatchObject({ state: 'active' });
    await migrator.close();
  });

  it('a migration out of a region that just died leaves its session suspended (checkpoint exists), and recovery brings it back', async () => {
    const { regions, migrator, checkpointer } = setup(1);
    await checkpointer.checkpointNow();
    regions.dead.add('us-east');
    await expect(migrator.migrate('s0', 'eu-west').done).rejects.toMatchObject({ code: 'MIGRATION_FAILED', message: expect.stringContaining('recoverRegion') });
    expect(migrator.getSession('s0')).toMatchObject({ state: 'suspended' });
    expect(migrator.statistics().lost).toBe(0);
    const result = await migrator.recoverRegion('us-east', { to: 'eu-west' });
    expect(result.recovered.map((r) => r.sessionId)).toEqual(['s0']);
    await checkpointer.close();
  });

  it('without a router, nearest-healthy sends every session to fallbackTo (with neither, refused before anything is touched)', async () => {
    const { regions, migrator, checkpointer } = setup(2);
    migrator.register({ id: 'ip', region: 'us-east', metadata: { clientIp: '81.2.69.160' } });
    regions.held.set('us-east/ip', { status: 'active', epoch: 0, state: { n: 1 } });
    await checkpointer.checkpointNow();
    regions.dead.add('us-east');
    await expect(migrator.recoverRegion('us-east')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('needs a router in the SessionMigrator options (or a fallbackTo, or name a region)') });
    expect(migrator.sessions('us-east').every((s) => s.state === 'active')).toBe(true); // refused before anything was touched
    const done = await migrator.recoverRegion('us-east', { fallbackTo: 'eu-west' });
    expect(done.recovered.map((r) => [r.sessionId, r.to]).sort()).toEqual([['ip', 'eu-west'], ['s0', 'eu-west'], ['s1', 'eu-west']]);
    for (const id of ['ip', 's0', 's1']) expect(regions.activeIn(id)).toEqual(['eu-west']);
    await checkpointer.close();
  });

  it('refuses bad input with INVALID_ARGUMENT', async () => {
    const { migrator } = setup(0);
    await expect(migrator.recoverRegion('us-east', { to: 'us-east' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(migrator.recoverRegion('us-east')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('needs a router') });
    await expect(migrator.recoverRegion('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('session registry write-through', () => {
  it('flush() reports records a registry outage kept from being written, and writes them when it is back', async () => {
    const registry = new MemorySessionRegistry();
    let down = true;
    const flaky = {
      get: registry.get.bind(registry),
      list: registry.list.bind(registry),
      delete: registry.delete.bind(registry),
      put: async (...args: Parameters<MemorySessionRegistry['put']>) => {
        if (down) throw new MeridianError('STORE_UNAVAILABLE', 'registry down (test outage)');
        return registry.put(...args);
      },
    };
    const { adapter } = regionsAdapter();
    const migrator = new SessionMigrator({ adapter, codec, store: new MemorySnapshotStore(), registry: flaky });
    const errors = collectEvents(migrator, 'registry:error');
    migrator.register({ id: 'a', region: 'us-east' });
    await expect(migrator.flush()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining('1 session record') });
    expect(errors.events[0]).toMatchObject({ sessionId: 'a', code: 'STORE_UNAVAILABLE' });
    down = false;
    await migrator.flush();
    expect(await registry.get('a')).toMatchObject({ region: 'us-east', epoch: 0, state: 'active' });
    migrator.unregister('a');
    await migrator.flush();
    expect(await registry.get('a')).toBeUndefined();
  });
});

describe('two control planes on one registry', () => {
  it('a write-through refused for a stale epoch makes this instance follow the registry, not retry forever', async () => {
    const registry = new MemorySessionRegistry();
    const { adapter } = regionsAdapter();
    const a = new SessionMigrator({ adapter, codec, store: new MemorySnapshotStore(), registry });
    a.register({ id: 'x', region: 'us-east' });
    await a.flush();
    // Another instance moved it meanwhile.
    await registry.put({ ...(await registry.get('x'))!, region: 'eu-west', epoch: 3 }, { expectedEpoch: 0 });
    const errors = collectEvents(a, 'registry:error');
    a.unregister('x');
    a.register({ id: 'x', region: 'us-east', metadata: { again: '1' } }); // written at epoch 0: refused
    await a.flush();
    expect(errors.events[0]).toMatchObject({ sessionId: 'x', code: 'PRECONDITION_FAILED', error: expect.stringContaining('follows the registry') });
    expect(a.getSession('x')).toMatchObject({ region: 'eu-west', epoch: 3 });
    expect(await registry.get('x')).toMatchObject({ region: 'eu-west', epoch: 3 });
  });
});

/** A stand-in for a HealthMonitor's transitions of us-east. */
function healthTransitions() {
  const monitor = new TypedEmitter<{
    'region:degraded': import('@meridian/core').HealthTransition;
    'region:unhealthy': import('@meridian/core').HealthTransition;
    'region:healthy': import('@meridian/core').HealthTransition;
  }>();
  const transition = (type: 'region:unhealthy' | 'region:healthy', previous: 'healthy' | 'unhealthy') =>
    monitor.emit(type, { regionId: 'us-east', state: type === 'region:healthy' ? 'healthy' : 'unhealthy', previous, reason: 'test', at: 0, health: {} as never });
  return { monitor, transition };
}

describe('autoEvacuate triggers', () => {
  it('recovers on region:unhealthy and reconciles on the way back to healthy', async () => {
    const { regions, migrator, checkpointer } = setup(4);
    await checkpointer.checkpointNow();
    const { monitor, transition } = healthTransitions();
    const outcomes: AutoEvacuationOutcome[] = [];
    let settle!: () => void;
    const wiring = autoEvacuate({
      migrator,
      monitor,
      to: 'eu-west',
      onOutcome: (o) => {
        outcomes.push(o);
        settle?.();
      },
    });
    regions.dead.add('us-east');
    await new Promise<void>((resolve) => {
      settle = resolve;
      transition('region:unhealthy', 'healthy');
    });
    expect(outcomes[0]).toMatchObject({ trigger: 'region:unhealthy', action: 'recover', recovered: 4, lost: 0, failed: 0 });
    regions.dead.delete('us-east');
    await new Promise<void>((resolve) => {
      settle = resolve;
      transition('region:healthy', 'unhealthy');
    });
    expect(outcomes[1]).toMatchObject({ trigger: 'region:healthy', action: 'reconcile', discarded: 4, failed: 0 });
    for (let i = 0; i < 4; i++) expect(regions.activeIn(`s${i}`)).toEqual(['eu-west']);
    await wiring.close();
    await checkpointer.close();
  });

  it('restoreMissing: sessions a recovery could not place (store down) are restored in their region when it comes back without them; none lost', async () => {
    const { clock, regions, storage, migrator, checkpointer } = setup(3);
    await checkpointer.checkpointNow();
    const { monitor, transition } = healthTransitions();
    const outcomes: AutoEvacuationOutcome[] = [];
    const wiring = autoEvacuate({ migrator, monitor, to: 'eu-west', restoreMissing: true, onOutcome: (o) => outcomes.push(o) });
    regions.dead.add('us-east');
    storage.setDown(true); // the recovery finds no checkpoint it can read, past recoveryTimeoutMillis
    transition('region:unhealthy', 'healthy');
    for (let t = 0; t < 12_000 && outcomes.length === 0; t += 100) {
      await tick();
      clock.advance(100);
    }
    expect(outcomes[0]).toMatchObject({ action: 'recover', recovered: 0, lost: 0, failed: 3 });
    expect(migrator.statistics().byState).toMatchObject({ suspended: 3 });
    // The region restarts empty (its sessions were in memory), the store is back.
    for (const key of [...regions.held.keys()]) if (key.startsWith('us-east/')) regions.held.delete(key);
    regions.dead.delete('us-east');
    storage.setDown(false);
    clock.advance(100);
    transition('region:healthy', 'unhealthy');
    for (let i = 0; i < 50 && outcomes.length < 2; i++) await tick();
    expect(outcomes[1]).toMatchObject({ trigger: 'region:healthy', action: 'reconcile', recovered: 3, lost: 0, failed: 0 });
    for (let i = 0; i < 3; i++) expect(regions.activeIn(`s${i}`)).toEqual(['us-east']);
    expect(migrator.statistics()).toMatchObject({ lost: 0, byState: { active: 3, suspended: 0 } });
    await wiring.close();
    await checkpointer.close();
  });
});
