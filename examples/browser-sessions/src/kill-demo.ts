// Logs ada in in region A, checkpoints her session, lets her change something
// after the checkpoint, SIGKILLs region A's Chromium mid-session and recovers
// the session in region B from the checkpoint: logged in, with the storage as
// of the checkpoint; the change made after it is lost, and said so.
import { randomBytes } from 'node:crypto';
import { MeridianError } from '@meridian/core';
import { MemorySnapshotStore, SessionCheckpointer, SessionMigrator, SnapshotCodec, type MigrationStatistics, type RegionRecoveryResult } from '@meridian/session-migration';
import type { BrowserContext } from 'playwright-core';
import { BrowserRegions, type BrowserState } from './browser-regions.js';
import { startSite } from './site.js';

/** What {@link runKillDemo} saw, for tests. */
export interface KillDemoResult {
  /** Pid of region A's Chromium, SIGKILLed. */
  killedPid: number;
  /** Whether that pid was gone right after the kill (`process.kill(pid, 0)` threw ESRCH). */
  killedPidGone: boolean;
  /** Code of the error a call on region A gave after the kill. */
  deadRegionError: string | undefined;
  /** `#status` in region A before the kill. */
  before: string;
  /** `#storage` in region A at the checkpoint, and after the change made after it. */
  storageAtCheckpoint: string;
  storageBeforeKill: string;
  /** localStorage of the site's origin in the checkpoint, as written in the store. */
  checkpointLocalStorage: Record<string, string>;
  /** `#status`, `#storage` and the origin's localStorage in region B after the recovery. */
  after: string;
  storage: string;
  recoveredLocalStorage: Record<string, string>;
  /** Where the session is active after the recovery (BrowserRegions.isActive). */
  activeIn: { 'region-a': boolean; 'region-b': boolean };
  result: RegionRecoveryResult;
  statistics: MigrationStatistics;
}

export async function runKillDemo(log: (line: string) => void = console.log): Promise<KillDemoResult> {
  const site = await startSite();
  const regions = await BrowserRegions.launch(['region-a', 'region-b']);
  const codec = new SnapshotCodec({ keys: [{ id: 'demo', key: randomBytes(32) }] });
  const store = new MemorySnapshotStore(); // in production: a store shared by the regions (FileSnapshotStore on shared storage, Azure Blob)
  const migrator = new SessionMigrator({ adapter: regions, codec, store, timeoutMillis: 10_000, recoveryTimeoutMillis: 10_000 });
  // Rounds every checkpointIntervalMillis once start()ed; here one round is run by hand, at a known moment.
  const checkpointer = new SessionCheckpointer({ adapter: regions, codec, store, source: migrator, checkpointIntervalMillis: 5_000 });
  try {
    const context = await regions.open('ada-session', 'region-a', `${site.url}/login?user=ada`);
    migrator.register({ id: 'ada-session', region: 'region-a' });
    const page = context.pages()[0]!;
    await page.goto(`${site.url}/account`);
    const before = (await page.textContent('#status')) ?? '';
    const storageAtCheckpoint = (await page.textContent('#storage')) ?? '';
    log(`region-a: ${before}, localStorage: ${storageAtCheckpoint}`);

    const round = await checkpointer.checkpointNow();
    const checkpoint = await checkpointer.latest<BrowserState>('ada-session');
    const checkpointLocalStorage = localStorageOf(checkpoint!.state.storageState, site.url);
    log(`checkpoint round: ${round.written} written (${round.bytes} bytes encrypted)`);

    // After the checkpoint: ada puts a pen in her cart.
    await page.evaluate(`localStorage.setItem('cart', JSON.stringify([...JSON.parse(localStorage.getItem('cart') || '[]'), 'pen']))`);
    await page.reload();
    const storageBeforeKill = (await page.textContent('#storage')) ?? '';
    log(`region-a, after the checkpoint: ada adds a pen, localStorage: ${storageBeforeKill}`);

    const killedPid = regions.pid('region-a')!;
    await regions.kill('region-a');
    const killedPidGone = processGone(killedPid);
    const deadRegionError = await regions.snapshot({ id: 'ada-session', region: 'region-a', metadata: {} }, { signal: AbortSignal.timeout(5_000) }).then(
      () => undefined,
      (error: unknown) => (MeridianError.isInstance(error) ? error.code : String(error)),
    );
    log(`region-a: Chromium (pid ${killedPid}) SIGKILLed mid-session; pid gone: ${killedPidGone}; calls on region-a now fail with ${deadRegionError}`);

    const result = await migrator.recoverRegion('region-a', { to: 'region-b' });
    const recovered = result.recovered[0];
    if (recovered) log(`recovered ${recovered.sessionId} ${recovered.from} -> ${recovered.to} from its checkpoint (epoch ${recovered.epoch}), staleness ${recovered.stalenessMillis} ms`);
    log(`recovery: ${result.recovered.length} recovered, ${result.lost.length} lost${result.lost.map((l) => ` ${l.sessionId} (${l.reason})`).join(',')}, ${result.failed.length} failed`);

    const moved = regions.context('ada-session', 'region-b');
    const after = moved ? await statusOf(moved, `${site.url}/account`) : { status: '', storage: '' };
    const recoveredLocalStorage = moved ? localStorageOf(await moved.storageState(), site.url) : {};
    const penKept = after.storage.includes('"pen"');
    log(`region-b: ${after.status}, localStorage: ${after.storage} (as of the checkpoint)`);
    log(
      penKept
        ? 'unexpected: the pen added after the checkpoint is in region-b'
        : `lost with region-a: the pen added after the checkpoint (absent in region-b); the restored state was ${recovered?.stalenessMillis ?? '?'} ms old`,
    );

    const activeIn = { 'region-a': regions.isActive('ada-session', 'region-a'), 'region-b': regions.isActive('ada-session', 'region-b') };
    return {
      killedPid,
      killedPidGone,
      deadRegionError,
      before,
      storageAtCheckpoint,
      storageBeforeKill,
      checkpointLocalStorage,
      after: after.status,
      storage: after.storage,
      recoveredLocalStorage,
      activeIn,
      result,
      statistics: migrator.statistics(),
    };
  } finally {
    await checkpointer.close();
    await migrator.close();
    await regions.close();
    await site.close();
  }
}

async function statusOf(context: BrowserContext, url: string): Promise<{ status: string; storage: string }> {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  return { status: (await page.textContent('#status')) ?? '', storage: (await page.textContent('#storage')) ?? '' };
}

/** The localStorage of one origin in a Playwright storage state. */
export function localStorageOf(state: BrowserState['storageState'], origin: string): Record<string, string> {
  const entry = state.origins.find((o) => o.origin === origin);
  return Object.fromEntries((entry?.localStorage ?? []).map(({ name, value }) => [name, value]));
}

/** Whether no process has this pid any more (`kill(pid, 0)` fails with ESRCH). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
