// SessionCheckpointer on virtual time (scheduling, only changed sessions,
// bandwidth and concurrency bounds, a store outage, refused checkpoints, key
// rotation, bad options), then over real region processes.
import { randomBytes } from 'node:crypto';
import { ManualClock, MemoryMetrics, MeridianError, type SessionAdapter, type SessionRef, type SnapshotStore } from '@meridian/core';
import { createLocalProvider, createLocalSessionAdapter, type LocalProvider } from '@meridian/providers-local';
import {
  checkpointKey,
  MemorySnapshotStore,
  SessionCheckpointer,
  SessionMigrator,
  SnapshotCodec,
  type CheckpointRound,
  type SessionCheckpointerOptions,
} from '@meridian/session-migration';
import { collectEvents, findLeakedProcesses, seedRegions } from '@meridian/testkit';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const codec = new SnapshotCodec({ keys: [k1] });
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Sessions in memory, with a change counter bumped on every write (as the local regions keep one). */
function memoryAdapter(options: { version: boolean }) {
  const held = new Map<string, { state: unknown; version: number }>();
  let counter = 0;
  const calls = { snapshot: 0, version: 0, other: 0 };
  const at = (ref: SessionRef) => {
    const s = held.get(ref.id);
    if (!s) throw new MeridianError('SESSION_NOT_FOUND', `session "${ref.id}" is not in region "${ref.region}"`);
    return s;
  };
  let gate: Promise<void> | undefined;
  const adapter: SessionAdapter = {
    snapshot: async (ref) => {
      calls.snapshot++;
      await gate;
      return at(ref).state;
    },
    suspend: async () => void calls.other++,
    restore: async () => void calls.other++,
    activate: async () => void calls.other++,
    discard: async () => void calls.other++,
    ...(options.version ? { version: async (ref: SessionRef) => (calls.version++, at(ref).version) } : {}),
  };
  return {
    adapter,
    held,
    calls,
    write: (id: string, state: unknown) => held.set(id, { state, version: ++counter }),
    /** Makes every snapshot wait until the returned function is called. */
    block: () => {
      let open!: () => void;
      gate = new Promise<void>((resolve) => (open = resolve));
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}

function setup(options: { version?: boolean; ids?: string[]; store?: SnapshotStore } & Partial<SessionCheckpointerOptions> = {}) {
  const { version = true, ids = ['a', 'b', 'c'], store = new MemorySnapshotStore(), ...rest } = options;
  const clock = new ManualClock(1_000_000);
  const mem = memoryAdapter({ version });
  for (const id of ids) mem.write(id, { id, n: 0 });
  const source = { sessions: () => ids.map((id) => ({ id, region: 'us-east', state: 'active' as const })) };
  const checkpointer = new SessionCheckpointer({ adapter: mem.adapter, codec, store, source, clock, checkpointIntervalMillis: 1_000, ...rest });
  const rounds = collectEvents(checkpointer, 'checkpoint:completed');
  return { clock, mem, store, source, checkpointer, rounds };
}

/** Advances virtual time in steps until the round resolves (a bandwidth-bound round waits on the clock). */
async function runOnClock(clock: ManualClock, round: Promise<CheckpointRound>, stepMillis = 50): Promise<CheckpointRound> {
  let done: CheckpointRound | undefined;
  void round.then((r) => (done = r));
  for (let i = 0; i < 100_000 && !done; i++) {
    await clock.advanceAsync(stepMillis);
    await flush();
  }
  return round;
}

/** A store whose calls fail with STORE_UNAVAILABLE while `down` is set. */
function flakyStore(inner: SnapshotStore = new MemorySnapshotStore()) {
  const state = { down: false, puts: 0 };
  const guard = () => {
    if (state.down) throw new MeridianError('STORE_UNAVAILABLE', 'snapshot store did not answer: ECONNREFUSED', { details: { code: 'ECONNREFUSED' } });
  };
  const store: SnapshotStore = {
    put: async (...args) => (guard(), state.puts++, inner.put(...args)),
    get: async (...args) => (guard(), inner.get(...args)),
    delete: async (...args) => (guard(), inner.delete(...args)),
    list: async (...args) => (guard(), inner.list(...args)),
  };
  return { store, state };
}

describe('SessionCheckpointer on virtual time', () => {
  it('runs the first round one interval after start, then every interval', async () => {
    const { clock, checkpointer, rounds } = setup({ ids: ['a'] });
    await checkpointer.start();
    await checkpointer.start(); // idempotent
    await clock.advanceAsync(999);
    expect(rounds.events).toHaveLength(0);
    await clock.advanceAsync(1);
    await flush();
    expect(rounds.events.map((r) => r.startedAt)).toEqual([1_001_000]);
    await clock.advanceAsync(1_000);
    await flush();
    expect(rounds.events.map((r) => r.startedAt)).toEqual([1_001_000, 1_002_000]);

    await checkpointer.close();
  });

  it('a tick that falls inside a slow round is skipped, not queued', async () => {
    const { clock, mem, checkpointer, rounds } = setup({ ids: ['a'] });
    const release = mem.block();
    await checkpointer.start();
    await clock.advanceAsync(1_000); // round 1 starts, its snapshot hangs
    await clock.advanceAsync(3_500); // ticks at +2000, +3000, +4000 fall inside it
    await flush();
    expect(rounds.events).toHaveLength(0);
    expect(mem.calls.snapshot).toBe(1);
    release();
    await flush();
    await flush();
    expect(rounds.events.map((r) => r.startedAt)).toEqual([1_001_000]);
    expect(checkpointer.status().nextRoundAt).toBe(1_005_000);
    await clock.advanceAsync(500);
    await flush();
    expect(rounds.events.map((r) => r.startedAt)).toEqual([1_001_000, 1_005_000]);
    await checkpointer.close();
  });

  it.each([
    ['with the adapter version', true],
    ['without it (SHA-256 of the state)', false],
  ])('writes only sessions that changed since their last checkpoint, %s', async (_name, version) => {
    const { mem, checkpointer, store } = setup({ version });
    const first = await checkpointer.checkpointNow();
    expect(first).toMatchObject({ sessions: 3, written: 3, unchanged: 0, failed: 0, skipped: 0 });
    expect(first.bytes).toBeGreaterThan(0);
    expect(await store.list('ckpt.')).toEqual(['ckpt.a', 'ckpt.b', 'ckpt.c']);

    mem.write('b', { id: 'b', n: 1 });
    mem.write('b', { id: 'b', n: 2 }); // twice between rounds: written once
    const snapshotsBefore = mem.calls.snapshot;
    const second = await checkpointer.checkpointNow();
    expect(second).toMatchObject({ written: 1, unchanged: 2, failed: 0 });
    // With a version, unchanged sessions are not even snapshotted.
    expect(mem.calls.snapshot - snapshotsBefore).toBe(version ? 1 : 3);
    expect((await checkpointer.latest('b'))?.state).toEqual({ id: 'b', n: 2 });
    expect((await checkpointer.latest('a'))?.state).toEqual({ id: 'a', n: 0 });
    expect(await checkpointer.checkpointNow()).toMatchObject({ written: 0, unchanged: 3 });
    expect(mem.calls.other).toBe(0); // never suspends, restores, activates or discards

    const status = checkpointer.status();
    expect(status.rounds).toBe(3);
    expect(status.lastRound).toMatchObject({ written: 0, unchanged: 3 });
    expect(status.sessions.find((s) => s.sessionId === 'b')).toMatchObject({ region: 'us-east', takenAt: 1_000_000, ...(version ? { version: mem.held.get('b')!.version } : {}) });
  });

  it('latest() returns the state, version and time it was taken; undefined for a session with none', async () => {
    const { clock, mem, checkpointer } = setup();
    clock.advance(42);
    await checkpointer.checkpointNow();
    expect(await checkpointer.latest('a')).toEqual({ sessionId: 'a', region: 'us-east', version: mem.held.get('a')!.version, takenAt: 1_000_042, keyId: 'k1', state: { id: 'a', n: 0 } });
    expect(await checkpointer.latest('nobody')).toBeUndefined();
  });

  it('bounds bytes per second on the clock', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `s${i}`);
    const rate = 20_000;
    const { clock, mem, checkpointer } = setup({ ids, maxBytesPerSecond: rate });
    for (const id of ids) mem.write(id, { id, blob: randomBytes(7_500).toString('base64') }); // ~10 KB of base64
    const round = await runOnClock(clock, checkpointer.checkpointNow());
    expect(round.written).toBe(10);
    expect(round.bytes).toBeGreaterThan(70_000); // base64 deflates to about 3/4
    // One second of burst, then the rate: never faster, and not much slower.
    const floorMillis = ((round.bytes - rate) / rate) * 1000;
    expect(round.durationMillis).toBeGreaterThanOrEqual(floorMillis);
    expect(round.durationMillis).toBeLessThanOrEqual(floorMillis + 1_100);
  });

  it('bounds the sessions checkpointed in parallel', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const { mem, checkpointer } = setup({ ids, concurrency: 3 });
    let inFlight = 0;
    let most = 0;
    const snapshot = mem.adapter.snapshot.bind(mem.adapter);
    mem.adapter.snapshot = async (ref, options) => {
      most = Math.max(most, ++inFlight);
      await flush();
      try {
        return await snapshot(ref, options);
      } finally {
        inFlight--;
      }
    };
    expect(await checkpointer.checkpointNow()).toMatchObject({ written: 20 });
    expect(most).toBe(3);
  });

  it('a store that is down: the round is counted (failed, skipped), reported, sessions untouched; the next round recovers', async () => {
    const flaky = flakyStore();
    const { mem, checkpointer } = setup({ store: flaky.store, concurrency: 1 });
    const failed = collectEvents(checkpointer, 'checkpoint:failed');
    const alerts = collectEvents(checkpointer, 'checkpoint:store-unavailable');
    expect(await checkpointer.checkpointNow()).toMatchObject({ written: 3 });
    for (const id of ['a', 'b', 'c']) mem.write(id, { id, n: 1 });

    flaky.state.down = true;
    const down = await checkpointer.checkpointNow();
    expect(down).toMatchObject({ sessions: 3, written: 0, failed: 1, skipped: 2, bytes: 0 });
    expect(failed.events).toEqual([{ sessionId: 'a', region: 'us-east', stage: 'store', code: 'STORE_UNAVAILABLE', error: expect.stringContaining('ECONNREFUSED') }]);
    expect(alerts.events).toEqual([{ code: 'STORE_UNAVAILABLE', error: expect.stringContaining('ECONNREFUSED'), failed: 1, skipped: 2 }]);
    expect(mem.calls.other).toBe(0);
    expect([...mem.held.values()].map((s) => s.state)).toEqual([{ id: 'a', n: 1 }, { id: 'b', n: 1 }, { id: 'c', n: 1 }]);
    await expect(checkpointer.latest('a')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });

    flaky.state.down = false;
    expect((await checkpointer.latest('a'))?.state).toEqual({ id: 'a', n: 0 }); // the previous checkpoint stayed
    expect(await checkpointer.checkpointNow()).toMatchObject({ written: 3, failed: 0, skipped: 0 });
    expect((await checkpointer.latest('a'))?.state).toEqual({ id: 'a', n: 1 });
    expect(alerts.events).toHaveLength(1);
  });

  it('the store down while started: the alert says when the next round tries again', async () => {
    const flaky = flakyStore();
    const { clock, checkpointer, rounds } = setup({ store: flaky.store });
    const alerts = collectEvents(checkpointer, 'checkpoint:store-unavailable');
    flaky.state.down = true;
    await checkpointer.start();
    await clock.advanceAsync(1_000);
    await flush();
    expect(alerts.events[0]).toMatchObject({ failed: 3, skipped: 0, nextRoundAt: 1_002_000 });
    flaky.state.down = false;
    await clock.advanceAsync(1_000);
    await flush();
    expect(rounds.events.map((r) => r.written)).toEqual([0, 3]);
    await checkpointer.close();
  });

  it('refuses a tampered or truncated checkpoint with SNAPSHOT_CORRUPT, and replaces it when the session changes', async () => {
    const { mem, checkpointer, store } = setup();
    await checkpointer.checkpointNow();
    const stored = (await store.get(checkpointKey('a')))!;
    const tampered = Buffer.from(stored.bytes);
    tampered[Math.floor(tampered.length / 2)]! ^= 0xff;
    await store.put(checkpointKey('a'), tampered);
    await store.put(checkpointKey('b'), stored.bytes.subarray(0, stored.bytes.length - 9));
    await expect(checkpointer.latest('a')).rejects.toMatchObject({ code: 'SNAPSHOT_CORRUPT' });
    await expect(checkpointer.latest('b')).rejects.toMatchObject({ code: 'SNAPSHOT_CORRUPT' });
    // a's bytes under c's key: a valid checkpoint, of another session.
    await store.put(checkpointKey('c'), stored.bytes);
    await expect(checkpointer.latest('c')).rejects.toMatchObject({ code: 'SNAPSHOT_CORRUPT', message: expect.stringContaining('holds session "a"') });

    mem.write('a', { id: 'a', n: 1 });
    expect(await checkpointer.checkpointNow()).toMatchObject({ written: 1, failed: 0 });
    expect((await checkpointer.latest('a'))?.state).toEqual({ id: 'a', n: 1 });
  });

  it('key rotation: a checkpoint under an old key id reads while the key is configured, and is refused once it is removed', async () => {
    const { mem, checkpointer, store, source, clock } = setup();
    await checkpointer.checkpointNow();
    const rotated = new SnapshotCodec({ keys: [k2, k1], activeKeyId: 'k2' });
    // Another instance with the rotated codec, checkpointing only b (which changed).
    const onlyB = { sessions: () => [{ id: 'b', region: 'us-east' }] };
    const next = new SessionCheckpointer({ adapter: mem.adapter, codec: rotated, store, source: onlyB, clock });
    expect(await next.latest('a')).toMatchObject({ keyId: 'k1', state: { id: 'a', n: 0 } });
    mem.write('b', { id: 'b', n: 1 });
    clock.advance(1);
    expect(await next.checkpointNow()).toMatchObject({ written: 1 });
    expect(await next.latest('b')).toMatchObject({ keyId: 'k2', state: { id: 'b', n: 1 } });
    expect(await next.latest('a')).toMatchObject({ keyId: 'k1' });

    const k2Only = new SessionCheckpointer({ adapter: mem.adapter, codec: new SnapshotCodec({ keys: [k2] }), store, source, clock });
    expect(await k2Only.latest('b')).toMatchObject({ keyId: 'k2' });
    const refused = await k2Only.latest('a').catch((error: unknown) => error);
    expect(MeridianError.hasCode(refused, 'SNAPSHOT_CORRUPT')).toBe(true);
    expect((refused as Error).message).toContain('"k1", which is not among the configured keys');
  });

  it('two checkpointers never replace a newer checkpoint with an older one', async () => {
    const shared = new MemorySnapshotStore();
    let releasePut!: () => void;
    const held = new Promise<void>((resolve) => (releasePut = resolve));
    const slowStore: SnapshotStore = {
      put: async (...args) => (await held, shared.put(...args)),
      get: (...args) => shared.get(...args),
      delete: (...args) => shared.delete(...args),
      list: (...args) => shared.list(...args),
    };
    const { clock, mem, checkpointer: slow, source } = setup({ ids: ['a'], store: slowStore });
    const fast = new SessionCheckpointer({ adapter: mem.adapter, codec, store: shared, source, clock });
    const older = slow.checkpointNow(); // takes a's state at t0, its write hangs
    await flush();
    clock.advance(500);
    mem.write('a', { id: 'a', n: 1 });
    expect(await fast.checkpointNow()).toMatchObject({ written: 1 });
    releasePut();
    expect(await older).toMatchObject({ written: 0, unchanged: 1, failed: 0 });
    expect(await fast.latest('a')).toMatchObject({ takenAt: 1_000_500, state: { id: 'a', n: 1 } });
  });

  it('a session whose id the store refuses fails alone; the store is not reported down', async () => {
    const { checkpointer } = setup({ ids: ['a', 'bad/id', 'c'], concurrency: 1 });
    const alerts = collectEvents(checkpointer, 'checkpoint:store-unavailable');
    const failed = collectEvents(checkpointer, 'checkpoint:failed');
    expect(await checkpointer.checkpointNow()).toMatchObject({ written: 2, failed: 1, skipped: 0 });
    expect(failed.events).toEqual([expect.objectContaining({ sessionId: 'bad/id', stage: 'store', code: 'INVALID_ARGUMENT' })]);
    expect(alerts.events).toEqual([]);
  });

  it('records meridian_checkpoints_total by result and meridian_checkpoint_bytes_total', async () => {
    const metrics = new MemoryMetrics();
    const flaky = flakyStore();
    const { mem, checkpointer } = setup({ metrics, store: flaky.store, concurrency: 1 });
    expect(metrics.value('meridian_checkpoints_total', { result: 'failed' })).toBe(0);
    const first = await checkpointer.checkpointNow();
    mem.write('a', { id: 'a', n: 1 });
    mem.write('b', { id: 'b', n: 1 });
    flaky.state.down = true;
    await checkpointer.checkpointNow(); // a fails, b and c skipped
    expect(metrics.value('meridian_checkpoints_total', { result: 'written' })).toBe(3);
    await checkpointer.checkpointNow(); // still down
    flaky.state.down = false;
    await checkpointer.checkpointNow(); // a and b written, c unchanged
    expect(metrics.value('meridian_checkpoints_total', { result: 'written' })).toBe(5);
    expect(metrics.value('meridian_checkpoints_total', { result: 'unchanged' })).toBe(1);
    expect(metrics.value('meridian_checkpoints_total', { result: 'failed' })).toBe(2);
    expect(metrics.value('meridian_checkpoints_total', { result: 'skipped' })).toBe(4);
    expect(metrics.value('meridian_checkpoint_bytes_total', {})).toBeGreaterThan(first.bytes);
  });

  it('refuses bad options with INVALID_CONFIG naming the path', () => {
    const { mem, source } = setup();
    const base = { adapter: mem.adapter, codec, store: new MemorySnapshotStore(), source };
    const cases: Array<[Partial<SessionCheckpointerOptions>, string]> = [
      [{ checkpointIntervalMillis: 0 }, 'checkpointIntervalMillis'],
      [{ checkpointIntervalMillis: -5 }, 'checkpointIntervalMillis'],
      [{ checkpointIntervalMillis: Number.NaN }, 'checkpointIntervalMillis'],
      [{ checkpointIntervalMillis: 2 ** 31 }, 'checkpointIntervalMillis'],
      [{ concurrency: 0 }, 'concurrency'],
      [{ maxBytesPerSecond: 0 }, 'maxBytesPerSecond'],
      [{ timeoutMillis: Number.POSITIVE_INFINITY }, 'timeoutMillis'],
      [{ source: {} as never }, 'source'],
    ];
    for (const [bad, path] of cases) {
      const error = (() => {
        try {
          new SessionCheckpointer({ ...base, ...bad });
        } catch (e) {
          return e;
        }
      })();
      expect(MeridianError.hasCode(error, 'INVALID_CONFIG'), path).toBe(true);
      expect((error as MeridianError).details.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    }
    expect(() => new SessionCheckpointer({ ...base, checkpointIntervalMillis: 2 ** 31 - 1 })).not.toThrow();
  });

  it('close() is idempotent, stops the schedule and refuses a later start', async () => {
    const { clock, checkpointer, rounds } = setup();
    await checkpointer.start();
    await Promise.all([checkpointer.close(), checkpointer[Symbol.asyncDispose]()]);
    await clock.advanceAsync(5_000);
    expect(rounds.events).toHaveLength(0);
    expect(checkpointer.status().running).toBe(false);
    await expect(checkpointer.start()).rejects.toMatchObject({ code: 'SHUT_DOWN' });
    await expect(checkpointer.checkpointNow()).rejects.toMatchObject({ code: 'SHUT_DOWN' });
  });
});

describe('SessionCheckpointer over real local regions', () => {
  let provider: LocalProvider | undefined;
  const pids: number[] = [];

  afterEach(async () => {
    await provider?.stop();
    expect(await findLeakedProcesses(pids.splice(0))).toEqual([]);
  });

  it('checkpoints the sessions of the regions, then only those changed in their region', async () => {
    provider = createLocalProvider({ regions: seedRegions(2) });
    await provider.deploy({ name: 'sessions', regions: [] });
    pids.push(...provider.pids());
    const endpoint = (region: string) => provider!.regions().find((r) => r.id === region)!.endpoint;
    const put = async (id: string, region: string, state: unknown) => {
      const res = await request(`${endpoint(region)}/sessions/${id}`, { method: 'PUT', body: JSON.stringify(state) });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    };
    const adapter = createLocalSessionAdapter(provider);
    const store = new MemorySnapshotStore();
    const migrator = new SessionMigrator({ adapter, codec, store });
    const regions = provider.regions().map((r) => r.id);
    const ids = Array.from({ length: 6 }, (_, i) => `live-${i}`);
    for (const [i, id] of ids.entries()) {
      const region = regions[i % regions.length]!;
      await put(id, region, { id, cart: [] });
      migrator.register({ id, region });
    }
    await using checkpointer = new SessionCheckpointer({ adapter, codec, store, source: migrator });
    expect(await checkpointer.checkpointNow()).toMatchObject({ sessions: 6, written: 6, failed: 0 });
    expect(await checkpointer.checkpointNow()).toMatchObject({ written: 0, unchanged: 6 });

    await put('live-1', regions[1]!, { id: 'live-1', cart: ['book'] });
    await put('live-4', regions[0]!, { id: 'live-4', cart: ['pen'] });
    await put('live-4', regions[0]!, { id: 'live-4', cart: ['pen', 'ink'] });
    const round = await checkpointer.checkpointNow();
    expect(round).toMatchObject({ written: 2, unchanged: 4, failed: 0 });
    expect(await checkpointer.latest('live-4')).toMatchObject({ region: regions[0], state: { id: 'live-4', cart: ['pen', 'ink'] } });
    expect(await checkpointer.latest('live-0')).toMatchObject({ state: { id: 'live-0', cart: [] } });
    // The version comes from the region: a change counter, never the state.
    expect(checkpointer.status().sessions.find((s) => s.sessionId === 'live-4')?.version).toMatch(/^\d+-\d+:\d+$/);
    await migrator.close();
  });
});
