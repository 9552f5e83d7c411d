import { runFailoverDrill } from '../failover-drill.js';
import { FAST_HEALTH } from '../lab.js';
import type { ChaosScenario } from '../scenario.js';

/** 3. Every answer of the primary takes 5 s, far past the probe timeout. */
export const regionSlow: ChaosScenario = {
  id: 'region-slow',
  title: `slow 5 s (probe timeout ${FAST_HEALTH.timeoutMillis} ms)`,
  expected: 'unhealthy → failover → failback',
  deadlineMillis: 30_000,
  clientGoals: { maxFailedGets: 0 },
  run: (ctx) =>
    runFailoverDrill(ctx, {
      inject: (lab) => lab.provider.slow('us-east', 5_000),
      heal: (lab) => lab.provider.restore('us-east'),
      failback: true,
    }),
};
