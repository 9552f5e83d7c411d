import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SessionAdapter } from '@meridian/core';
import { createLocalSessionAdapter } from '@meridian/providers-local';
import { SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { collectEvents, findAzuriteBlob, startAzurite } from '@meridian/testkit';
import { startLab } from '../lab.js';
import { check, type ChaosScenario } from '../scenario.js';

const AZURE = fileURLToPath(new URL('../../../packages/providers-azure/src/index.ts', import.meta.url));
/** Azurite is a devDependency of @meridian/providers-azure: resolved from there. */
const AZURE_PACKAGE = fileURLToPath(new URL('../../../packages/providers-azure/package.json', import.meta.url));
/** Sessions in the batch, × `ctx.scale`. */
const SESSIONS = 24;
/** Azurite is restarted right after this many sources were suspended (× `ctx.scale`): a third into the batch. */
const RESTART_AT_SUSPEND = 8;
/** Lock TTL: far longer than one migration here; a lock whose release met the restart frees itself after it. */
const LOCK_TTL_MILLIS = 3_000;
const RETRY_ROUNDS = 8;

function azuriteMissing(): string | undefined {
  if (!existsSync(AZURE)) return 'not run: needs @meridian/providers-azure';
  try {
    findAzuriteBlob(AZURE_PACKAGE);
    return undefined;
  } catch {
    return 'not run: azurite is not installed (devDependency of @meridian/providers-azure; pnpm install)';
  }
}

/**
 * 12c. Azurite (Blob storage holding the snapshots and the per-session locks,
 * data on disk) is restarted in the middle of a 24-session (× scale) batch migration:
 * the transfers that meet it down roll back and the sessions resume in the
 * source; a retry after it is back moves them; every session ends active in
 * exactly one region with its state, and no lock stays held.
 */
export const azuriteRestart: ChaosScenario = {
  id: 'azurite-restart',
  title: 'Azurite restart mid-migration (Blob snapshots + locks)',
  expected: 'failed transfers roll back; a retry moves them; sessions in exactly one region',
  deadlineMillis: 40_000,
  // The fault is off the clients' path (front door → regions): every request must be served.
  clientGoals: { maxFailedGets: 0, maxFailedPosts: 0 },
  notRunReason: azuriteMissing,
  run: async (ctx) => {
    const { AzureBlobLeaseStore, AzureBlobSnapshotStore } = await import('@meridian/providers-azure');
    const azurite = await startAzurite({ persistence: 'disk', resolveFrom: AZURE_PACKAGE });
    ctx.defer(() => azurite.stop());
    ctx.trackPids([azurite.pid!]);
    const sessions = SESSIONS * ctx.scale;
    const lab = await startLab(ctx, { sessionRegions: ['us-east'], sessionsPerRegion: sessions });

    // One try per request, bounded: a store that is down fails the step at once instead of hanging the migration.
    const connection = { connectionString: azurite.connectionString, maxTries: 1, tryTimeoutMillis: 2_000 };
    const store = new AzureBlobSnapshotStore({ ...connection, containerName: 'chaos-snapshots' });
    const leaseStore = new AzureBlobLeaseStore({ ...connection, containerName: 'chaos-locks' });
    const real = createLocalSessionAdapter(lab.provider);
    let suspends = 0;
    let restartedAt: number | undefined;
    let restarting: Promise<void> | undefined;
    const adapter: SessionAdapter = {
      ...real,
      suspend: async (...args) => {
        const result = await real.suspend(...args);
        if (++suspends === RESTART_AT_SUSPEND * ctx.scale) {
          // The restart begins (SIGTERM) now: this session's transfer, and those after it, meet Azurite going down.
          restartedAt = performance.now();
          restarting = azurite.restart().then(() => ctx.trackPids([azurite.pid!]));
          restarting.catch(() => undefined);
        }
        return result;
      },
    };
    const codec = new SnapshotCodec({ keys: [{ id: 'chaos', key: randomBytes(32) }] });
    const migrator = new SessionMigrator({ adapter, codec, store, leaseStore, lockTtlMillis: LOCK_TTL_MILLIS, timeoutMillis: 5_000, concurrency: 4 });
    for (const s of lab.sessions) migrator.register({ id: s.id, region: s.region });
    const failures = collectEvents(migrator, 'session:migration-failed').events;
    let firstRollback: number | undefined;
    migrator.on('session:migration-failed', () => void (firstRollback ??= performance.now()));

    const batch = await migrator.batchMigrate(lab.sessions.map((s) => s.id), 'eu-west');
    check(restarting, `Azurite was never restarted (${suspends} suspends)`);
    await restarting;
    const steps = new Map<string, number>();
    for (const f of failures) steps.set(f.failedStep, (steps.get(f.failedStep) ?? 0) + 1);
    const refused = batch.failed.length - failures.length;
    ctx.log(`batch: ${batch.migrated.length} migrated, ${failures.length} rolled back (${[...steps].map(([s, n]) => `${n} at ${s}`).join(', ')}), ${refused} refused before suspending (lock); first: ${failures[0]?.error}`);
    check(batch.migrated.length > 0 && batch.failed.length > 0, `expected some migrated and some failed, got ${batch.migrated.length}/${batch.failed.length}`);
    check(failures.length > 0, 'no migration in flight met Azurite down (none rolled back)');
    check(failures.every((f) => f.resumedInSource), `a failed migration did not resume in its source: ${JSON.stringify(failures.find((f) => !f.resumedInSource))}`);
    for (const s of lab.sessions) {
      const info = migrator.getSession(s.id)!;
      const moved = batch.migrated.some((m) => m.sessionId === s.id);
      check(info.state === 'active' && info.region === (moved ? 'eu-west' : 'us-east'), `migrator thinks ${s.id} is ${info.state} in ${info.region}`);
    }
    const timeToReactMillis = Math.round((firstRollback ?? performance.now()) - restartedAt!);
    const census = await lab.lostSessions(); // every session active in exactly one region, right after the restart

    // Azurite is back with its data: retry the failed ones. A lock whose release met the restart frees itself
    // after its TTL (until then MIGRATION_IN_PROGRESS), so retry in rounds, bounded.
    let remaining = batch.failed.map((f) => f.sessionId);
    let rounds = 0;
    while (remaining.length > 0 && rounds < RETRY_ROUNDS && !ctx.signal.aborted) {
      if (rounds > 0) await new Promise((resolve) => setTimeout(resolve, 500));
      rounds++;
      const retry = await migrator.batchMigrate(remaining, 'eu-west');
      remaining = retry.failed.map((f) => f.sessionId);
      ctx.log(`retry ${rounds}: ${retry.migrated.length} moved, ${retry.failed.length} not yet${retry.failed[0] ? ` (${retry.failed[0].error})` : ''}`);
    }
    check(remaining.length === 0, `${remaining.length} still not moved after ${rounds} retry rounds`);

    let held = 0;
    for (const s of lab.sessions) {
      const lock = await leaseStore.current(`session:${s.id}`);
      if (lock) {
        held++;
        ctx.log(`lock session:${s.id} still held by ${lock.holder}`);
      }
    }
    const leftovers = await store.list();
    // Snapshots of rolled-back attempts whose delete met Azurite down: encrypted garbage, never restored (the retries used new keys).
    ctx.log(`snapshots left in the container: ${leftovers.length}`);
    const { lost, checked, clients, volume } = await lab.nothingLost();
    return {
      reactionSeen: true,
      reaction: `${failures.length}/${sessions} rolled back to source (${[...steps].map(([s, n]) => `${n} at ${s}`).join(', ')}), ${refused} refused at lock; all moved on retry (${rounds} round${rounds === 1 ? '' : 's'})`,
      timeToReactMillis,
      lost: census.lost + lost + held,
      checked: checked + sessions, // the sessions and acknowledged writes, plus one lock per session
      clients,
      volume,
    };
  },
};
