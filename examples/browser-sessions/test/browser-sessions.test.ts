// Headless Chromium (Debian's package; CI installs it). On a machine without it
// the tests are skipped with the reason printed; CI fails on any skipped test.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { MeridianError, type SessionAdapter } from '@meridian/core';
import { MemorySnapshotStore, SessionCheckpointer, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { requireSystemTool, skipUnless } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';
import { BrowserRegions, type BrowserState } from '../src/browser-regions.js';
import { runKillDemo } from '../src/kill-demo.js';
import { runDemo } from '../src/main.js';
import { startSite } from '../src/site.js';

// Where BrowserRegions looks: $CHROMIUM_PATH, else /usr/bin/chromium (never PATH, never a downloaded browser).
const chromium = requireSystemTool('chromium', { envVar: 'CHROMIUM_PATH', searchPath: false, enable: 'apt-get install -y chromium' });

describe('browser sessions between regions (headless Chromium)', skipUnless(chromium), () => {
  it('a logged-in session moves with its cookie and localStorage, and stays logged in', async () => {
    const lines: string[] = [];
    const { before, after, storage } = await runDemo((l) => lines.push(l));
    expect(before).toBe('Welcome ada');
    expect(after).toBe('Welcome ada');
    expect(storage).toBe('dark ["book","lamp"]');
    expect(lines.join('\n')).toMatch(/restore: integrity verified/);
    expect(lines.at(-1)).toContain('region-a still holds it: false');
  }, 60_000);

  it('a failure during restore leaves the session logged in, in region A only', async () => {
    const site = await startSite();
    const regions = await BrowserRegions.launch(['region-a', 'region-b']);
    try {
      await regions.open('s', 'region-a', `${site.url}/login?user=grace`);
      // Delegates to the real regions (an Object.create copy would lack their private fields and fail at the first call).
      const broken: SessionAdapter = {
        snapshot: (session, options) => regions.snapshot(session, options),
        suspend: (session, region, options) => regions.suspend(session, region, options),
        restore: async () => {
          throw new Error('region-b browser crashed');
        },
        activate: (session, region, options) => regions.activate(session, region, options),
        discard: (session, region, options) => regions.discard(session, region, options),
      };
      const migrator = new SessionMigrator({
        adapter: broken,
        codec: new SnapshotCodec({ keys: [{ id: 'k', key: randomBytes(32) }] }),
        store: new MemorySnapshotStore(),
      });
      migrator.register({ id: 's', region: 'region-a' });
      const error = await migrator.migrate('s', 'region-b').then(() => undefined, (e: unknown) => e);
      expect(MeridianError.hasCode(error, 'MIGRATION_FAILED')).toBe(true);
      expect((error as Error).message).toContain('at "restore"');
      expect(regions.isActive('s', 'region-a')).toBe(true);
      expect(regions.context('s', 'region-b')).toBeUndefined();
      const page = regions.context('s', 'region-a')!.pages()[0]!;
      await page.goto(`${site.url}/account`);
      expect(await page.textContent('#status')).toBe('Welcome grace');
    } finally {
      await regions.close();
      await site.close();
    }
  }, 60_000);

  it('region A SIGKILLed mid-session: the session comes back in region B from its checkpoint, the write after it is lost', async () => {
    const lines: string[] = [];
    const r = await runKillDemo((l) => lines.push(l));
    // Region A's Chromium is really gone, and said so by every call on the region.
    expect(r.killedPidGone).toBe(true);
    expect(() => process.kill(r.killedPid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(r.deadRegionError).toBe('REGION_UNAVAILABLE');
    // Active in region B only, logged in, with localStorage as of the checkpoint.
    expect(r.activeIn).toEqual({ 'region-a': false, 'region-b': true });
    expect(r.before).toBe('Welcome ada');
    expect(r.after).toBe('Welcome ada');
    expect(r.checkpointLocalStorage).toEqual({ theme: 'dark', cart: '["book","lamp"]' });
    expect(r.recoveredLocalStorage).toEqual(r.checkpointLocalStorage);
    // The pen went into the cart after the checkpoint: it died with region A.
    expect(r.storageBeforeKill).toBe('dark ["book","lamp","pen"]');
    expect(r.storage).toBe('dark ["book","lamp"]');
    expect(r.result.lost).toEqual([]);
    expect(r.result.failed).toEqual([]);
    expect(r.result.recovered).toHaveLength(1);
    const [recovered] = r.result.recovered;
    expect(recovered).toMatchObject({ sessionId: 'ada-session', from: 'region-a', to: 'region-b', epoch: 1 });
    expect(recovered!.stalenessMillis).toBeGreaterThan(0);
    expect(r.statistics).toMatchObject({ recovered: 1, lost: 0, byRegion: { 'region-a': 0, 'region-b': 1 } });
    expect(r.statistics.byState).toMatchObject({ active: 1, lost: 0 });
    expect(lines.join('\n')).toContain(`staleness ${recovered!.stalenessMillis} ms`);
    expect(lines.join('\n')).toMatch(/the pen added after the checkpoint \(absent in region-b\)/);
  }, 60_000);

  it('a session registered after the last checkpoint round is reported lost by id (no-checkpoint), never active', async () => {
    const site = await startSite();
    const regions = await BrowserRegions.launch(['region-a', 'region-b']);
    const codec = new SnapshotCodec({ keys: [{ id: 'k', key: randomBytes(32) }] });
    const store = new MemorySnapshotStore();
    const migrator = new SessionMigrator({ adapter: regions, codec, store, timeoutMillis: 10_000, recoveryTimeoutMillis: 10_000 });
    const checkpointer = new SessionCheckpointer({ adapter: regions, codec, store, source: migrator, checkpointIntervalMillis: 60_000 });
    try {
      await regions.open('ada-session', 'region-a', `${site.url}/login?user=ada`);
      migrator.register({ id: 'ada-session', region: 'region-a' });
      expect(await checkpointer.checkpointNow()).toMatchObject({ written: 1 });
      await regions.open('grace-session', 'region-a', `${site.url}/login?user=grace`);
      migrator.register({ id: 'grace-session', region: 'region-a' });

      await regions.kill('region-a');
      const result = await migrator.recoverRegion('region-a', { to: 'region-b' });

      expect(result.lost).toEqual([{ sessionId: 'grace-session', reason: 'no-checkpoint', error: expect.any(String) }]);
      expect(result.recovered.map((s) => s.sessionId)).toEqual(['ada-session']);
      expect(result.failed).toEqual([]);
      expect(regions.isActive('grace-session', 'region-a')).toBe(false);
      expect(regions.isActive('grace-session', 'region-b')).toBe(false);
      expect(regions.context('grace-session', 'region-b')).toBeUndefined();
      expect(regions.isActive('ada-session', 'region-b')).toBe(true);
      const stats = migrator.statistics();
      expect(stats).toMatchObject({ sessions: 2, recovered: 1, lost: 1, byRegion: { 'region-a': 0, 'region-b': 1 } });
      expect(stats.byState).toMatchObject({ active: 1, lost: 1, suspended: 0, migrating: 0 });
      expect(migrator.sessions().find((s) => s.id === 'grace-session')?.state).toBe('lost');
    } finally {
      await checkpointer.close();
      await migrator.close();
      await regions.close();
      await site.close();
    }
  }, 60_000);

  it('after kill(region) every call on it fails fast with REGION_UNAVAILABLE, a call in flight included', async () => {
    // A page that never answers keeps open() in flight when the region dies.
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const port = (hanging.address() as { port: number }).port;
    const regions = await BrowserRegions.launch(['region-a', 'region-b']);
    try {
      const inFlight = regions.open('stuck', 'region-a', `http://127.0.0.1:${port}/`).then(() => undefined, (e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = Date.now();
      await regions.kill('region-a');
      const error = await inFlight;
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(MeridianError.hasCode(error, 'REGION_UNAVAILABLE')).toBe(true);
      expect((error as MeridianError<'REGION_UNAVAILABLE'>).details.regionId).toBe('region-a');

      const ref = { id: 'stuck', region: 'region-a', metadata: {} };
      const signal = AbortSignal.timeout(5_000);
      const state: BrowserState = { storageState: { cookies: [], origins: [] }, tabs: [] };
      for (const call of [
        () => regions.snapshot(ref, { signal }),
        () => regions.suspend(ref, 'region-a', { signal }),
        () => regions.restore(ref, 'region-a', state, { signal, epoch: 1 }),
        () => regions.activate(ref, 'region-a', { signal, epoch: 1 }),
        () => regions.discard(ref, 'region-a', { signal }),
        () => regions.open('new', 'region-a', 'about:blank'),
      ]) {
        const e = await call().then(() => undefined, (x: unknown) => x);
        expect(MeridianError.hasCode(e, 'REGION_UNAVAILABLE')).toBe(true);
        expect((e as Error).message).toContain('region-a');
      }
      // The other region is untouched.
      await regions.open('fine', 'region-b', 'about:blank');
      expect(regions.isActive('fine', 'region-b')).toBe(true);
    } finally {
      await regions.close();
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  }, 60_000);

  it('a copy refuses an activation or restore under a lower epoch than its own (SESSION_FENCED)', async () => {
    const regions = await BrowserRegions.launch(['region-b']);
    try {
      const ref = { id: 's', region: 'region-a', metadata: {} };
      const signal = AbortSignal.timeout(10_000);
      const state: BrowserState = { storageState: { cookies: [], origins: [] }, tabs: ['about:blank'] };
      await regions.restore(ref, 'region-b', state, { signal, epoch: 3 });
      expect(regions.epoch('s', 'region-b')).toBe(3);

      const fenced = await regions.activate(ref, 'region-b', { signal, epoch: 2 }).then(() => undefined, (e: unknown) => e);
      expect(MeridianError.hasCode(fenced, 'SESSION_FENCED')).toBe(true);
      expect((fenced as MeridianError<'SESSION_FENCED'>).details).toEqual({ sessionId: 's', regionId: 'region-b', epoch: 2, currentEpoch: 3 });
      expect(regions.isActive('s', 'region-b')).toBe(false);

      const overwrite = await regions.restore(ref, 'region-b', state, { signal, epoch: 2 }).then(() => undefined, (e: unknown) => e);
      expect(MeridianError.hasCode(overwrite, 'SESSION_FENCED')).toBe(true);

      await regions.activate(ref, 'region-b', { signal, epoch: 4 });
      expect(regions.isActive('s', 'region-b')).toBe(true);
      expect(regions.epoch('s', 'region-b')).toBe(4);
    } finally {
      await regions.close();
    }
  }, 60_000);
});
