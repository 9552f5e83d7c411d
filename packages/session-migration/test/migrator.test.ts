// The migration protocol over real region processes (providers-local's session
// API), with faults injected at every step. Every test ends by checking that the
// session is active in exactly one region with its state intact: none lost, none doubled.
import { randomBytes } from 'node:crypto';
import { MeridianError, MemoryLeaseStore, type SessionAdapter, type SnapshotStore } from '@meridian/core';
import { createLocalProvider, createLocalSessionAdapter, type LocalProvider } from '@meridian/providers-local';
import { MemorySnapshotStore, SessionMigrator, SnapshotCodec, type SessionMigratorOptions } from '@meridian/session-migration';
import { collectEvents, findLeakedProcesses, seedRegions } from '@meridian/testkit';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let provider: LocalProvider;
let adapter: SessionAdapter;
const pids: number[] = [];
const codec = new SnapshotCodec({ keys: [{ id: 'test', key: randomBytes(32) }] });

beforeEach(async () => {
  provider = createLocalProvider({ regions: seedRegions(3) });
  await provider.deploy({ name: 'sessions', regions: [] });
  pids.push(...provider.pids());
  adapter = createLocalSessionAdapter(provider);
});

afterEach(async () => {
  await provider.stop();
  expect(await findLeakedProcesses(pids.splice(0))).toEqual([]);
});

function endpoint(region: string): string {
  return provider.regions().find((r) => r.id === region)!.endpoint;
}

/** Creates a live session in a region through its own API. */
async function createSession(id: string, region: string, state: unknown): Promise<void> {
  const res = await request(`${endpoint(region)}/sessions/${id}`, { method: 'PUT', body: JSON.stringify(state) });
  expect(res.statusCode).toBe(200);
  await res.body.dump();
}

/** Where the session is, as the regions themselves say (dead regions count as not holding it). */
async function whereIs(id: string): Promise<{ active: string[]; suspended: string[]; state?: unknown }> {
  const out: { active: string[]; suspended: string[]; state?: unknown } = { active: [], suspended: [] };
  for (const region of ['us-east', 'eu-west', 'ap-south']) {
    try {
      const res = await request(`${endpoint(region)}/sessions/${id}`, { signal: AbortSignal.timeout(1_000) });
      if (res.statusCode !== 200) {
        await res.body.dump();
        continue;
      }
      const body = (await res.body.json()) as { status: string; state: unknown };
      (body.status === 'active' ? out.active : out.suspended).push(region);
      if (body.status === 'active') out.state = body.state;
    } catch {
      // not answering: holds nothing we can serve
    }
  }
  return out;
}

function migrator(options: Partial<SessionMigratorOptions> = {}): SessionMigrator {
  return new SessionMigrator({ adapter, codec, store: new MemorySnapshotStore(), timeoutMillis: 5_000, ...options });
}

const STATE = { cookies: ['sid=42'], localStorage: { theme: 'dark' }, tabs: ['https://example.com/cart'] };

/** The real adapter with a fault (or a hook) at one call. */
function faulty(at: keyof SessionAdapter, fault: (region: string) => Promise<void> | void, when: 'before' | 'after' = 'before'): SessionAdapter {
  const wrapped = { ...adapter };
  (wrapped[at] as unknown) = async (...args: unknown[]) => {
    const region = (at === 'snapshot' ? (args[0] as { region: string }).region : args[1]) as string;
    if (when === 'before') await fault(region);
    const result = await (adapter[at] as (...a: unknown[]) => Promise<unknown>)(...args);
    if (when === 'after') await fault(region);
    return result;
  };
  return wrapped;
}

describe('SessionMigrator', () => {
  it('moves a live session with its state, and reports it', async () => {
    await createSession('s1', 'us-east', STATE);
    const m = migrator();
    m.register({ id: 's1', region: 'us-east' });
    const migrated = collectEvents(m, 'session:migrated');
    const op = m.migrate('s1', 'eu-west');
    const steps: string[] = [];
    op.onProgress((p) => p.step.status === 'completed' && steps.push(p.step.name));
    const result = await op;
    expect(result).toMatchObject({ sessionId: 's1', from: 'us-east', to: 'eu-west' });
    expect(steps).toEqual(['snapshot', 'suspend', 'transfer', 'restore', 'activate', 'discard-source']);
    expect(await whereIs('s1')).toEqual({ active: ['eu-west'], suspended: [], state: STATE });
    expect(m.getSession('s1')).toMatchObject({ region: 'eu-west', state: 'active', migrations: 1 });
    expect(migrated.events[0]!.bytes).toBeGreaterThan(50);
    expect(m.statistics()).toMatchObject({ migrated: 1, failed: 0, byRegion: { 'eu-west': 1 } });
  });

  it.each(['snapshot', 'suspend', 'restore', 'activate'] as const)('a failure at %s rolls back: active in the source only, state intact', async (step) => {
    await createSession('s2', 'us-east', STATE);
    const boom = (): never => {
      throw new Error(`injected failure in ${step}`);
    };
    // activate is called for the target first; fail only there, so the source can resume.
    const m = migrator({ adapter: faulty(step, (region) => (step === 'activate' && region === 'us-east' ? undefined : boom())) });
    m.register({ id: 's2', region: 'us-east' });
    const failed = collectEvents(m, 'session:migration-failed');
    const error = await m.migrate('s2', 'eu-west').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(MeridianError.hasCode(error, 'MIGRATION_FAILED')).toBe(true);
    expect((error as MeridianError).message).toContain(`failed at "${step}"`);
    expect(failed.events[0]).toMatchObject({ failedStep: step, resumedInSource: true });
    expect(await whereIs('s2')).toEqual({ active: ['us-east'], suspended: [], state: STATE });
    expect(m.getSession('s2')).toMatchObject({ region: 'us-east', state: 'active' });
  });

  it('a store failing mid-transfer loses nothing', async () => {
    await createSession('s3', 'us-east', STATE);
    const inner = new MemorySnapshotStore();
    const store: SnapshotStore = {
      put: async () => {
        throw new MeridianError('STORE_UNAVAILABLE', 'snapshot store is down');
      },
      get: inner.get.bind(inner),
      delete: inner.delete.bind(inner),
      list: inner.list.bind(inner),
    };
    const m = migrator({ store });
    m.register({ id: 's3', region: 'us-east' });
    await expect(m.migrate('s3', 'eu-west')).rejects.toThrow(/failed at "transfer".*snapshot store is down/);
    expect(await whereIs('s3')).toEqual({ active: ['us-east'], suspended: [], state: STATE });
  });

  it('restores from the bytes being written while the store writes them, and activates only once the write is acknowledged', async () => {
    await createSession('s3a', 'us-east', STATE);
    const inner = new MemorySnapshotStore();
    let written = false;
    let releaseWrite!: () => void;
    const writeReleased = new Promise<void>((resolve) => (releaseWrite = resolve));
    const store: SnapshotStore = {
      put: async (key, bytes, options) => {
        await writeReleased;
        const result = await inner.put(key, bytes, options);
        written = true;
        return result;
      },
      // A migration restores from the bytes it holds: a read would fail it.
      get: async () => {
        throw new MeridianError('STORE_UNAVAILABLE', 'reads are down');
      },
      delete: inner.delete.bind(inner),
      list: inner.list.bind(inner),
    };
    const writtenAtActivation: boolean[] = [];
    const m = migrator({
      store,
      adapter: {
        ...adapter,
        // The write waits for the restore: a restore that waited for the write would never finish.
        restore: async (...args) => {
          await adapter.restore(...args);
          releaseWrite();
        },
        activate: async (...args) => {
          writtenAtActivation.push(written);
          await adapter.activate(...args);
        },
      },
    });
    m.register({ id: 's3a', region: 'us-east' });
    const progress: string[] = [];
    const op = m.migrate('s3a', 'eu-west');
    op.onProgress((p) => p.step.status === 'completed' && progress.push(p.step.name));
    await op;
    expect(progress).toEqual(['snapshot', 'suspend', 'transfer', 'restore', 'activate', 'discard-source']);
    expect(writtenAtActivation).toEqual([true]);
    expect(await whereIs('s3a')).toEqual({ active: ['eu-west'], suspended: [], state: STATE });
    expect(await inner.list()).toEqual([]);
  });

  it('a write that fails after the early restore landed: the target copy is discarded before the source resumes', async () => {
    await createSession('s3b', 'us-east', STATE);
    const inner = new MemorySnapshotStore();
    let restored!: () => void;
    const restoreLanded = new Promise<void>((resolve) => (restored = resolve));
    const store: SnapshotStore = {
      put: async () => {
        await restoreLanded;
        throw new MeridianError('STORE_UNAVAILABLE', 'snapshot store went down');
      },
      get: inner.get.bind(inner),
      delete: inner.delete.bind(inner),
      list: inner.list.bind(inner),
    };
    const order: string[] = [];
    const m = migrator({
      store,
      adapter: {
        ...adapter,
        restore: async (...args) => {
          await adapter.restore(...args);
          restored();
        },
        discard: async (session, region, options) => {
          order.push(`discard ${region}`);
          await adapter.discard(session, region, options);
        },
        activate: async (session, region, options) => {
          order.push(`activate ${region}`);
          await adapter.activate(session, region, options);
        },
      },
    });
    m.register({ id: 's3b', region: 'us-east' });
    const failed = collectEvents(m, 'session:migration-failed');
    await expect(m.migrate('s3b', 'eu-west')).rejects.toThrow(/failed at "transfer".*snapshot store went down/);
    expect(order).toEqual(['discard eu-west', 'activate us-east']);
    expect(failed.events[0]).toMatchObject({ failedStep: 'transfer', resumedInSource: true, outcome: 'rolled-back' });
    expect(await whereIs('s3b')).toEqual({ active: ['us-east'], suspended: [], state: STATE });
  });

  it('a migration aborted while the write is in flight discards the copy restored early', async () => {
    await createSession('s3c', 'us-east', STATE);
    const inner = new MemorySnapshotStore();
    const controller = new AbortController();
    const store: SnapshotStore = {
      // A write that never finishes: only the abort ends it.
      put: (_key, _bytes, options) =>
        new Promise((_, reject) => options?.signal?.addEventListener('abort', () => reject(options.signal!.reason), { once: true })),
      get: inner.get.bind(inner),
      delete: inner.delete.bind(inner),
      list: inner.list.bind(inner),
    };
    const m = migrator({
      store,
      adapter: {
        ...adapter,
        restore: async (...args) => {
          await adapter.restore(...args);
          controller.abort(new Error('operator stop'));
        },
      },
    });
    m.register({ id: 's3c', region: 'us-east' });
    await expect(m.migrate('s3c', 'eu-west', { signal: controller.signal })).rejects.toThrow(/failed at "transfer".*operator stop/);
    expect(await whereIs('s3c')).toEqual({ active: ['us-east'], suspended: [], state: STATE });
    expect(m.getSession('s3c')).toMatchObject({ region: 'us-east', state: 'active' });
  });

  it('carries the state as text with an adapter that has snapshotJson and restoreJson: snapshot and restore are not called', async () => {
    await createSession('t1', 'us-east', STATE);
    const refused = async (): Promise<never> => {
      throw new Error('the parsed-state calls are not used');
    };
    const m = migrator({ adapter: { ...adapter, snapshot: refused, restore: refused, snapshotJson: adapter.snapshotJson!, restoreJson: adapter.restoreJson! } });
    m.register({ id: 't1', region: 'us-east' });
    const migrated = collectEvents(m, 'session:migrated');
    await m.migrate('t1', 'eu-west');
    expect(migrated.events[0]!.steps.find((s) => s.name === 'restore')?.detail).toBe('integrity verified (checksum, authentication, identity)');
    expect(await whereIs('t1')).toEqual({ active: ['eu-west'], suspended: [], state: STATE });
  });

  it('an adapter with only one of snapshotJson and restoreJson is used through snapshot and restore', async () => {
    await createSession('t2', 'us-east', STATE);
    const calls: string[] = [];
    const m = migrator({
      adapter: {
        ...adapter,
        snapshotJson: adapter.snapshotJson!,
        snapshot: async (...args) => {
          calls.push('snapshot');
          return adapter.snapshot(...args);
        },
        restore: async (...args) => {
          calls.push('restore');
          await adapter.restore(...args);
        },
      },
    });
    m.register({ id: 't2', region: 'us-east' });
    await m.migrate('t2', 'eu-west');
    expect(calls).toEqual(['snapshot', 'restore']);
    expect(await whereIs('t2')).toEqual({ active: ['eu-west'], suspended: [], state: STATE });
  });

  it('a snapshot carried as text and kept for a source that died is recovered like any other', async () => {
    await createSession('t3', 'us-east', STATE);
    const store = new MemorySnapshotStore();
    let restores = 0;
    const m = migrator({
      store,
      adapter: {
        ...adapter,
        snapshotJson: adapter.snapshotJson!,
        restoreJson: async (...args) => {
          if (restores++ === 0) {
            await provider.kill('us-east');
            throw new Error('target refused');
          }
          await adapter.restoreJson!(...args);
        },
      },
    });
    m.register({ id: 't3', region: 'us-east' });
    await expect(m.migrate('t3', 'eu-west')).rejects.toThrow(/left suspended in us-east, snapshot kept/);
    const kept = await store.get(m.getSession('t3')!.pendingSnapshot!);
    expect(codec.decode<{ state: unknown }>(kept!.bytes).state).toEqual(STATE);
    await m.recover('t3', 'ap-south');
    expect(await whereIs('t3')).toEqual({ active: ['ap-south'], suspended: [], state: STATE });
  });

  it('a discard that fails leaves only a suspended copy, never a second active one', async () => {
    await createSession('s4', 'us-east', STATE);
    const m = migrator({ adapter: faulty('discard', () => { throw new Error('source busy'); }) });
    m.register({ id: 's4', region: 'us-east' });
    await m.migrate('s4', 'eu-west');
    expect(await whereIs('s4')).toEqual({ active: ['eu-west'], suspended: ['us-east'], state: STATE });
  });

  it('the target killed mid-restore: rolled back to the source', async () => {
    await createSession('s5', 'us-east', STATE);
    const m = migrator({ adapter: faulty('restore', () => provider.kill('eu-west')) });
    m.register({ id: 's5', region: 'us-east' });
    await expect(m.migrate('s5', 'eu-west')).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'MIGRATION_FAILED'));
    expect(await whereIs('s5')).toEqual({ active: ['us-east'], suspended: [], state: STATE });
  });

  it('the source killed after suspend: the snapshot already taken carries the session over', async () => {
    await createSession('s6', 'us-east', STATE);
    const m = migrator({ adapter: faulty('suspend', (region) => (region === 'us-east' ? provider.kill('us-east') : undefined), 'after') });
    m.register({ id: 's6', region: 'us-east' });
    await m.migrate('s6', 'eu-west');
    expect(await whereIs('s6')).toEqual({ active: ['eu-west'], suspended: [], state: STATE });
  });

  it('a source that dies before it can resume leaves the session suspended with its snapshot kept', async () => {
    await createSession('s7', 'us-east', STATE);
    const store = new MemorySnapshotStore();
    let restores = 0;
    const m = migrator({
      store,
      adapter: faulty('restore', async () => {
        if (restores++ > 0) return; // only the first restore fails (and takes the source down with it)
        await provider.kill('us-east');
        throw new Error('target refused');
      }),
    });
    m.register({ id: 's7', region: 'us-east' });
    await expect(m.migrate('s7', 'eu-west')).rejects.toThrow(/left suspended in us-east, snapshot kept/);
    const info = m.getSession('s7')!;
    expect(info.state).toBe('suspended');
    const kept = await store.get(info.pendingSnapshot!);
    expect(codec.decode<{ state: unknown }>(kept!.bytes).state).toEqual(STATE);
    expect((await whereIs('s7')).active).toEqual([]);
    // Retried later: the kept snapshot brings it back in another region.
    const plain = new SessionMigrator({ adapter, codec, store });
    plain.register({ id: 's7', region: 'us-east' });
    await expect(plain.recover('s7', 'ap-south')).rejects.toThrow(/not suspended with a kept snapshot/);
    const recovered = await m.recover('s7', 'ap-south');
    expect(recovered).toMatchObject({ from: 'us-east', to: 'ap-south' });
    expect(await whereIs('s7')).toEqual({ active: ['ap-south'], suspended: [], state: STATE });
    expect(m.getSession('s7')).toMatchObject({ state: 'active', region: 'ap-south' });
    expect(m.getSession('s7')!.pendingSnapshot).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });

  it('abort via signal and timeout both roll back', async () => {
    await createSession('s8', 'us-east', STATE);
    await provider.slow('eu-west', 400);
    const m = migrator();
    m.register({ id: 's8', region: 'us-east' });
    const controller = new AbortController();
    const op = m.migrate('s8', 'eu-west', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('operator stop')), 100);
    await expect(op).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'MIGRATION_FAILED'));
    expect(await whereIs('s8')).toMatchObject({ active: ['us-east'], state: STATE });
    await expect(m.migrate('s8', 'eu-west', { timeoutMillis: 150 })).rejects.toThrow(/longer than 150 ms/);
    await provider.restore('eu-west');
    expect(await whereIs('s8')).toEqual({ active: ['us-east'], suspended: [], state: STATE });
  });

  it('refuses a second concurrent migration of the same session, here and across instances; a migration id is idempotent', async () => {
    await createSession('s9', 'us-east', STATE);
    const locks = new MemoryLeaseStore();
    const a = migrator({ leaseStore: locks });
    const b = migrator({ leaseStore: locks });
    a.register({ id: 's9', region: 'us-east' });
    b.register({ id: 's9', region: 'us-east' });
    const first = a.migrate('s9', 'eu-west', { migrationId: 'mig-1' });
    expect(a.migrate('s9', 'eu-west', { migrationId: 'mig-1' })).toBe(first);
    expect(() => a.migrate('s9', 'ap-south')).toThrow(expect.objectContaining({ code: 'MIGRATION_IN_PROGRESS' }));
    const second = b.migrate('s9', 'ap-south');
    await expect(second).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'MIGRATION_IN_PROGRESS'));
    await first;
    expect(await whereIs('s9')).toEqual({ active: ['eu-west'], suspended: [], state: STATE });
  });

  it('batches and evacuates with bounded concurrency, losing none', async () => {
    const m = migrator({ concurrency: 8 });
    for (let i = 0; i < 40; i++) {
      await createSession(`b${i}`, 'us-east', { n: i });
      m.register({ id: `b${i}`, region: 'us-east' });
    }
    const batch = await m.batchMigrate(Array.from({ length: 20 }, (_, i) => `b${i}`), 'eu-west');
    expect(batch.failed).toEqual([]);
    expect(batch.migrated).toHaveLength(20);
    const evacuating = collectEvents(m, 'region:evacuating');
    const result = await m.evacuate('us-east', { to: 'ap-south' });
    expect(result.migrated).toHaveLength(20);
    expect(evacuating.events).toEqual([{ regionId: 'us-east', sessionCount: 20 }]);
    for (let i = 0; i < 40; i++) {
      const where = await whereIs(`b${i}`);
      expect(where).toEqual({ active: [i < 20 ? 'eu-west' : 'ap-south'], suspended: [], state: { n: i } });
    }
    const stats = m.statistics();
    expect(stats).toMatchObject({ sessions: 40, migrated: 40, failed: 0, byRegion: { 'eu-west': 20, 'ap-south': 20 }, byState: { active: 40, migrating: 0, suspended: 0 } });
    expect(stats.p95Millis).toBeGreaterThanOrEqual(stats.p50Millis);
    expect(stats.bytesMoved).toBeGreaterThan(40 * 50);
  });

  it('statistics list every known region, 0 included: the regions option, and regions left empty by a migration', async () => {
    await createSession('z1', 'us-east', STATE);
    const m = migrator({ regions: [{ id: 'us-east' }, 'eu-west', 'ap-south'] });
    expect(m.statistics().byRegion).toEqual({ 'us-east': 0, 'eu-west': 0, 'ap-south': 0 });
    m.register({ id: 'z1', region: 'us-east' });
    expect(m.statistics().byRegion).toEqual({ 'us-east': 1, 'eu-west': 0, 'ap-south': 0 });
    await m.migrate('z1', 'eu-west');
    expect(m.statistics().byRegion).toEqual({ 'us-east': 0, 'eu-west': 1, 'ap-south': 0 });

    // Without the option: the regions its sessions have been in, a region emptied by a migration included.
    await createSession('z2', 'ap-south', STATE);
    const plain = migrator();
    expect(plain.statistics().byRegion).toEqual({});
    plain.register({ id: 'z2', region: 'ap-south' });
    await plain.migrate('z2', 'us-east');
    expect(plain.statistics().byRegion).toEqual({ 'ap-south': 0, 'us-east': 1 });
    plain.unregister('z2');
    expect(plain.statistics().byRegion).toEqual({ 'ap-south': 0, 'us-east': 0 });
    expect(() => migrator({ regions: [''] })).toThrow(/regions/);
  });

  it('preserveState: false starts the session empty in the target', async () => {
    await createSession('fresh', 'us-east', STATE);
    const m = migrator();
    m.register({ id: 'fresh', region: 'us-east' });
    await m.migrate('fresh', 'ap-south', { preserveState: false });
    expect(await whereIs('fresh')).toEqual({ active: ['ap-south'], suspended: [], state: null });
  });

  it('refuses bad input with coded errors', async () => {
    const m = migrator();
    expect(() => m.register({ id: 'bad id', region: 'us-east' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    m.register({ id: 'ok', region: 'us-east' });
    expect(() => m.register({ id: 'ok', region: 'us-east' })).toThrow(/already registered/);
    expect(() => m.migrate('nope', 'eu-west')).toThrow(expect.objectContaining({ code: 'SESSION_NOT_FOUND' }));
    await expect(m.migrate('ok', 'us-east')).rejects.toThrow(/already there/);
    await expect(m.evacuate('us-east')).rejects.toThrow(/needs a router/);
    expect(() => new SessionMigrator({ adapter: {} as never, codec, store: new MemorySnapshotStore() })).toThrow(/adapter: must be a SessionAdapter/);
  });
});
