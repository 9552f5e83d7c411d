// Part 1: logs into a site in a browser running in region A (cookie +
// localStorage), moves the session to region B with Meridian's SessionMigrator,
// and shows the page in region B still logged in with the same storage.
// Part 2 (src/kill-demo.ts): region A's Chromium is SIGKILLed mid-session and
// the session is recovered in region B from its last checkpoint.
import { randomBytes } from 'node:crypto';
import { MemorySnapshotStore, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { BrowserRegions } from './browser-regions.js';
import { runKillDemo } from './kill-demo.js';
import { startSite } from './site.js';

export async function runDemo(log: (line: string) => void = console.log): Promise<{ before: string; after: string; storage: string }> {
  const site = await startSite();
  const regions = await BrowserRegions.launch(['region-a', 'region-b']);
  try {
    const context = await regions.open('ada-session', 'region-a', `${site.url}/login?user=ada`);
    const page = context.pages()[0]!;
    await page.goto(`${site.url}/account`);
    const before = (await page.textContent('#status')) ?? '';
    log(`region-a: ${before}, localStorage: ${await page.textContent('#storage')}`);

    const migrator = new SessionMigrator({
      adapter: regions,
      codec: new SnapshotCodec({ keys: [{ id: 'demo', key: randomBytes(32) }] }),
      store: new MemorySnapshotStore(),
    });
    migrator.register({ id: 'ada-session', region: 'region-a' });
    const op = migrator.migrate('ada-session', 'region-b');
    op.onProgress((p) => p.step.status === 'completed' && log(`  ${p.step.name}${p.step.detail ? `: ${p.step.detail}` : ''}`));
    const result = await op;
    log(`migrated ${result.from} -> ${result.to} in ${result.durationMillis} ms`);

    const moved = regions.context('ada-session', 'region-b')!.pages()[0]!;
    await moved.goto(`${site.url}/account`);
    const after = (await moved.textContent('#status')) ?? '';
    const storage = (await moved.textContent('#storage')) ?? '';
    log(`region-b: ${after}, localStorage: ${storage}; region-a still holds it: ${regions.context('ada-session', 'region-a') !== undefined}`);
    return { before, after, storage };
  } finally {
    await regions.close();
    await site.close();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const main = async () => {
    console.log('== 1. live migration: region-a -> region-b ==');
    await runDemo();
    console.log('\n== 2. region-a killed: recovery from the last checkpoint ==');
    await runKillDemo();
  };
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
