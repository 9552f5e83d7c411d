// Recovery time of 1 000 sessions of 64 KB after their region is SIGKILLed:
// real local regions, checkpoints in the file store (fsync + rename each),
// `recoverRegion` into another region. Baseline in the same process: the raw
// work a recovery cannot avoid on the same checkpoints — read each from the
// store, decode it, PUT it into the target and activate it, at the same
// concurrency. Afterwards the sessions are counted in the regions themselves.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createLocalProvider, createLocalSessionAdapter } from '@meridian/providers-local';
import { checkpointKey, FileSnapshotStore, SessionCheckpointer, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { writeBenchResult } from '@meridian/testkit';
import PQueue from 'p-queue';
import { Agent, request } from 'undici';

const SESSIONS = 1_000;
const CONCURRENCY = 64;

async function main(): Promise<void> {
  const started = performance.now();
  const provider = createLocalProvider({
    regions: [
      { id: 'dead', location: { lat: 0, lon: 0 } },
      { id: 'target', location: { lat: 1, lon: 1 } },
      { id: 'baseline', location: { lat: 2, lon: 2 } },
    ],
  });
  await provider.deploy({ name: 'bench-recovery', regions: [] });
  const dir = mkdtempSync(join(os.tmpdir(), 'meridian-bench-recovery-'));
  const agent = new Agent({ connections: CONCURRENCY });
  try {
    const endpoint = (id: string) => provider.regions().find((r) => r.id === id)!.endpoint;
    const state = () => ({ storage: Object.fromEntries(Array.from({ length: 400 }, (_, k) => [`key-${k}`, `${'value '.repeat(20)}${randomBytes(24).toString('base64')}`])) });
    const codec = new SnapshotCodec({ keys: [{ id: 'bench', key: randomBytes(32) }] });
    const store = new FileSnapshotStore(dir);
    const adapter = createLocalSessionAdapter(provider);
    const migrator = new SessionMigrator({ adapter, codec, store, recoveryConcurrency: CONCURRENCY, timeoutMillis: 60_000 });
    for (let i = 0; i < SESSIONS; i++) {
      const res = await request(`${endpoint('dead')}/sessions/s${i}`, { method: 'PUT', body: JSON.stringify(state()), dispatcher: agent });
      await res.body.dump();
      migrator.register({ id: `s${i}`, region: 'dead' });
    }
    const checkpointer = new SessionCheckpointer({ adapter, codec, store, source: migrator, concurrency: 16 });
    const round = await checkpointer.checkpointNow();
    await checkpointer.close();
    await provider.kill('dead');

    // Baseline: read, decode, restore and activate the same checkpoints into another region, no protocol around it.
    const raw = async () => {
      const t = performance.now();
      const queue = new PQueue({ concurrency: CONCURRENCY });
      await Promise.all(
        Array.from({ length: SESSIONS }, (_, i) =>
          queue.add(async () => {
            const stored = (await store.get(checkpointKey(`s${i}`)))!;
            const { state: s } = codec.decode<{ state: unknown }>(stored.bytes);
            const put = await request(`${endpoint('baseline')}/sessions/s${i}?status=suspended`, { method: 'PUT', body: JSON.stringify(s), dispatcher: agent });
            await put.body.dump();
            const on = await request(`${endpoint('baseline')}/sessions/s${i}/activate`, { method: 'POST', dispatcher: agent });
            await on.body.dump();
          }),
        ),
      );
      return performance.now() - t;
    };
    const rawBefore = await raw();

    const t = performance.now();
    const result = await migrator.recoverRegion('dead', { to: 'target' });
    const recoveryMillis = performance.now() - t;
    const rawAfter = await raw();
    const rawMillis = Math.min(rawBefore, rawAfter);

    // Counted from the regions: each session active exactly once in `target`.
    const list = await request(`${endpoint('target')}/sessions`, { dispatcher: agent });
    const items = ((await list.body.json()) as { items: Array<{ key: string; status: string }> }).items;
    const activeInTarget = items.filter((x) => x.status === 'active').length;
    const row = {
      sessions: SESSIONS,
      concurrency: CONCURRENCY,
      checkpointRound: { written: round.written, bytes: round.bytes, durationMillis: round.durationMillis },
      recoveryMillis: Math.round(recoveryMillis),
      recovered: result.recovered.length,
      lost: result.lost.length,
      failed: result.failed.length,
      activeInTarget,
      maxStalenessMillis: result.maxStalenessMillis,
      rawRestoreMillis: Math.round(rawMillis),
      ratioVsRawRestore: recoveryMillis / rawMillis,
      sessionsPerSecond: Math.round(SESSIONS / (recoveryMillis / 1000)),
    };
    console.log(
      `recovered ${row.recovered}/${SESSIONS} (lost ${row.lost}, failed ${row.failed}, active in target ${activeInTarget}) in ${row.recoveryMillis} ms ` +
        `= ${row.ratioVsRawRestore.toFixed(2)}x the raw read+decode+restore+activate (${row.rawRestoreMillis} ms); max staleness ${row.maxStalenessMillis} ms`,
    );
    const path = writeBenchResult(new URL('./results/', import.meta.url), 'recovery', { ...row, totalWallMillis: Math.round(performance.now() - started) });
    console.log(`written ${path}`);
  } finally {
    await agent.close();
    await provider.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
