import { collectEvents } from '@meridian/testkit';
import { allHealthy } from '../failover-drill.js';
import { startLab } from '../lab.js';
import { check, type ChaosScenario } from '../scenario.js';

const PROBES = 20;

/** 5. 30 % of the primary's answers are 500s (seeded): a lossy but alive region must keep its traffic. */
export const probeLoss: ChaosScenario = {
  id: 'probe-loss',
  title: '30 % probe loss on the primary (failRate 0.3)',
  expected: `no failover over ${PROBES} probes`,
  deadlineMillis: 30_000,
  clientGoals: { maxFailedGets: 0 },
  run: async (ctx) => {
    const lab = await startLab(ctx);
    const monitor = lab.monitor();
    const manager = await lab.manager(monitor);
    monitor.start();
    await allHealthy(monitor, lab.ids, ctx.signal);
    const started = collectEvents(manager, 'failover:started').events;
    const unhealthy = collectEvents(monitor, 'region:unhealthy').events;
    await lab.provider.failRate('us-east', 0.3);
    // The loss is real: about 30 % of plain requests fail.
    let failed = 0;
    for (let i = 0; i < 60; i++) {
      const res = await fetch(`${lab.endpoint('us-east')}/health`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 500) failed++;
    }
    check(failed >= 9 && failed <= 27, `failRate 0.3 gave ${failed} of 60 failures`);
    const probes = collectEvents(monitor, 'health:probe').events;
    const from = performance.now();
    while (probes.filter((p) => p.regionId === 'us-east').length < PROBES && !ctx.signal.aborted && performance.now() - from < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const primary = probes.filter((p) => p.regionId === 'us-east');
    check(primary.length >= PROBES, `only ${primary.length} probes of us-east in 20 s`);
    await lab.provider.failRate('us-east', 0);
    ctx.log(`${failed}/60 requests failed; ${primary.filter((p) => !p.ok).length}/${primary.length} probes (3 samples each) failed`);
    const { lost, checked, clients, volume } = await lab.nothingLost();
    const calm = started.length === 0 && unhealthy.length === 0 && lab.provider.traffic()['us-east'] === 100;
    return {
      reactionSeen: calm,
      reaction: calm ? `no failover, ${primary.length} probes, ${failed}/60 requests failed` : `${started.length} failover(s), ${unhealthy.length} unhealthy verdict(s)`,
      lost,
      checked,
      clients,
      volume,
    };
  },
};
