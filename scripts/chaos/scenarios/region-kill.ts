import { runFailoverDrill } from '../failover-drill.js';
import { converge } from '../lab.js';
import type { ChaosScenario } from '../scenario.js';

/** 1. The primary's process is killed (SIGKILL): traffic moves on its own. */
export const regionKill: ChaosScenario = {
  id: 'region-kill',
  title: 'region kill (primary, SIGKILL)',
  expected: 'automatic failover; restored region refilled',
  deadlineMillis: 30_000,
  clientGoals: { maxFailedGets: 0 },
  run: (ctx) =>
    runFailoverDrill(ctx, {
      // A region's memory dies with its process, so its sessions would too: they
      // live in the survivors here (moving sessions is scenarios 8 and 9).
      lab: { sessionRegions: ['eu-west', 'ap-south'] },
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
