// Headless Chromium (Debian's package; CI installs it). On a machine without it
// the tests are skipped with the reason printed; CI fails on any skipped test.
import { randomBytes } from 'node:crypto';
import { MeridianError, type SessionAdapter } from '@meridian/core';
import { MemorySnapshotStore, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { requireSystemTool, skipUnless } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';
import { BrowserRegions } from '../src/browser-regions.js';
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
});
