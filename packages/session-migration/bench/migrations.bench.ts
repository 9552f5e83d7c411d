// 1000 concurrent migrations of 64 KB sessions between two local regions, with
// the filesystem snapshot store: total wall time, p50/p95 per migration, and
// the sessions counted afterwards in the regions themselves (lost, doubly active).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalProvider, createLocalSessionAdapter } from '@meridian/providers-local';
import { FileSnapshotStore, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { Agent, request } from 'undici';

const SESSIONS = 1_000;
const CONCURRENCY = 1_000;

async function main(): Promise<void> {
  const provider = createLocalProvider({
    regions: [
      { id: 'from', location: { lat: 0, lon: 0 } },
      { id: 'to', location: { lat: 1, lon: 1 } },
    ],
  });
  await provider.deploy({ name: 'bench', regions: [] });
  const dir = mkdtempSync(join(os.tmpdir(), 'meridian-bench-snapshots-'));
  const agent = new Agent({ connections: 64 });
  try {
    const endpoint = (id: string) => provider.regions().find((r) => r.id === id)!.endpoint;
    const state = () => ({ storage: Object.fromEntries(Array.from({ length: 400 }, (_, k) => [`key-${k}`, `${'value '.repeat(20)}${randomBytes(24).toString('base64')}`])) });
    const migrator = new SessionMigrator({
      adapter: createLocalSessionAdapter(provider),
      codec: new SnapshotCodec({ keys: [{ id: 'bench', key: randomBytes(32) }] }),
      store: new FileSnapshotStore(dir),
      concurrency: CONCURRENCY,
      timeoutMillis: 60_000,
    });
    for (let i = 0; i < SESSIONS; i++) {
      const res = await request(`${endpoint('from')}/sessions/s${i}`, { method: 'PUT', body: JSON.stringify(state()), dispatcher: agent });
      await res.body.dump();
      migrator.register({ id: `s${i}`, region: 'from' });
    }
    const started = performance.now();
    const result = await migrator.batchMigrate(Array.from({ length: SESSIONS }, (_, i) => `s${i}`), 'to', { concurrency: CONCURRENCY });
    const wallMillis = performance.now() - started;

    // Count from the regions themselves, not from the migrator's bookkeeping.
    const count = async (region: string) => {
      const res = await request(`${endpoint(region)}/sessions`, { dispatcher: agent });
      const body = (await res.body.json()) as { items: Array<{ key: string; status: string }> };
      return body.items.filter((s) => s.status === 'active').map((s) => s.key);
    };
    const [inFrom, inTo] = await Promise.all([count('from'), count('to')]);
    const active = new Map<string, number>();
    for (const key of [...inFrom, ...inTo]) active.set(key, (active.get(key) ?? 0) + 1);
    const lost = SESSIONS - active.size;
    const doublyActive = [...active.values()].filter((n) => n > 1).length;
    const stats = migrator.statistics();
    const out = {
      benchmark: 'migrations',
      machine: { node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, measuredAt: new Date().toISOString() },
      sessions: SESSIONS,
      concurrency: CONCURRENCY,
      store: 'FileSnapshotStore (fsync + rename)',
      sessionJsonBytes: Buffer.byteLength(JSON.stringify(state())),
      wallMillis: Math.round(wallMillis),
      migrationsPerSecond: Math.round(SESSIONS / (wallMillis / 1000)),
      p50Millis: stats.p50Millis,
      p95Millis: stats.p95Millis,
      migrated: result.migrated.length,
      failed: result.failed.length,
      lost,
      doublyActive,
      bytesMoved: stats.bytesMoved,
    };
    console.log(`${SESSIONS} migrations of ${Math.round(out.sessionJsonBytes / 1024)} KB sessions, ${CONCURRENCY} at once, filesystem store: ${out.wallMillis} ms wall (goal < 10000), p50 ${out.p50Millis} ms, p95 ${out.p95Millis} ms`);
    console.log(`migrated ${out.migrated}, failed ${out.failed}, lost ${lost}, doubly active ${doublyActive}`);
    const results = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(results, { recursive: true });
    writeFileSync(`${results}migrations.json`, `${JSON.stringify(out, null, 2)}\n`);
    if (lost > 0 || doublyActive > 0) process.exitCode = 1;
  } finally {
    await agent.close();
    await provider.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
