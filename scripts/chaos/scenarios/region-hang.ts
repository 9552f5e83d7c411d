import { runFailoverDrill } from '../failover-drill.js';
import type { ChaosScenario } from '../scenario.js';

/** 2. The primary accepts connections and never answers. */
export const regionHang: ChaosScenario = {
  id: 'region-hang',
  title: 'hang (primary accepts, never answers)',
  expected: 'probes time out → failover → failback',
  deadlineMillis: 30_000,
  clientGoals: { maxFailedGets: 0 },
  run: (ctx) =>
    runFailoverDrill(ctx, {
      inject: (lab) => lab.provider.hang('us-east'),
      heal: (lab) => lab.provider.restore('us-east'),
      failback: true,
    }),
};
