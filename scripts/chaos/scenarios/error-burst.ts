import { runFailoverDrill } from '../failover-drill.js';
import type { ChaosScenario } from '../scenario.js';

/** 4. The primary answers every request with 500, then recovers. */
export const errorBurst: ChaosScenario = {
  id: 'error-burst',
  title: '5xx burst (failRate 1, then 0)',
  expected: 'failover, then failback after hold-down',
  deadlineMillis: 30_000,
  clientGoals: { maxFailedGets: 0 },
  run: (ctx) =>
    runFailoverDrill(ctx, {
      inject: (lab) => lab.provider.failRate('us-east', 1),
      heal: (lab) => lab.provider.failRate('us-east', 0),
      failback: true,
    }),
};
