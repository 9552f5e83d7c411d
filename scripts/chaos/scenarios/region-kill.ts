import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runFailoverDrill } from '../failover-drill.js';
import { converge } from '../lab.js';
import type { ChaosScenario, ScenarioContext } from '../scenario.js';

/** A data directory for the regions' sessions, removed at clean-up. */
function sessionDir(ctx: ScenarioContext): string {
  const dir = mkdtempSync(join(os.tmpdir(), 'meridian-chaos-kill-'));
  ctx.defer(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** 1. The primary's process is killed (SIGKILL): traffic moves on its own. */
export const regionKill: ChaosScenario = {
  id: 'region-kill',
  title: 'region kill (primary, SIGKILL)',
  expected: 'automatic failover; its sessions recovered from checkpoints (0 lost); restored region refilled, its stale copies discarded',
  deadlineMillis: 30_000,
  clientGoals: { maxFailedGets: 0 },
  run: (ctx) =>
    runFailoverDrill(ctx, {
      // The primary holds sessions too: checkpointed every 500 ms, recovered in
      // the secondary when it dies. Regions keep sessions on disk, so the
      // restarted primary comes back holding stale copies, which are reconciled away.
      lab: { sessionsPerRegion: 20 * ctx.scale, dataDir: sessionDir(ctx) },
      recoverSessions: { checkpointIntervalMillis: 500 },
      // Writes the primary acknowledged must have left it before it dies: the
      // kill comes once replication has caught up; writes go on right after.
      prepare: async (lab) => {
        await lab.workload.pause();
        await converge(lab.sync, lab.ids.length, ctx.signal);
        lab.workload.resume();
      },
      inject: (lab) => lab.provider.kill('us-east'),
      heal: (lab) => lab.provider.restore('us-east'),
      failback: false,
    }),
};
