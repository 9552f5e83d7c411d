import { waitForEvent } from '@meridian/testkit';
import { startLab } from '../lab.js';
import { check, type ChaosScenario } from '../scenario.js';

const CUT = 'ap-south';

/**
 * 7. The link to one region's replica endpoint is blackholed while the apps
 * in every region (the cut one included) keep writing: the sides diverge, then
 * converge after healing with every acknowledged write everywhere.
 */
export const syncPartition: ChaosScenario = {
  id: 'sync-partition',
  title: `partition between regions during sync (${CUT} blackholed)`,
  expected: 'sync sees it unreachable; converges after heal',
  deadlineMillis: 30_000,
  // The fault is off the clients' path (front door → regions): every request must be served.
  clientGoals: { maxFailedGets: 0, maxFailedPosts: 0 },
  run: async (ctx) => {
    const lab = await startLab(ctx, { syncProxy: CUT });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const noticed = waitForEvent(lab.sync, 'sync:error', { filter: (e) => e.to === CUT || e.from === CUT, timeoutMillis: 5_000 });
    const started = performance.now();
    lab.syncProxy!.setFault({ blackhole: true });
    const error = await noticed;
    const timeToReactMillis = Math.round(performance.now() - started);
    ctx.log(`sync:error ${error.from} → ${error.to}: ${error.error.code} after ${timeToReactMillis} ms`);
    const before = lab.workload.acked.size;
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // both sides keep writing
    const cutWrites = [...lab.workload.acked.values()].slice(before).filter((v) => (v as { region: string }).region === CUT).length;
    check(cutWrites > 0, `no write was acknowledged inside the cut region during the partition`);
    const status = lab.sync.status().regions.find((r) => r.regionId === CUT)!;
    check(!status.reachable, `${CUT} should be unreachable for sync during the partition`);
    ctx.log(`during the partition: ${cutWrites} writes acknowledged in ${CUT}, lag ${status.lagMillis} ms`);
    lab.syncProxy!.heal();
    const { lost, checked, clients, volume } = await lab.nothingLost();
    const after = lab.sync.status().regions;
    check(after.every((r) => r.reachable && r.lagMillis === 0), `not in step after healing: ${JSON.stringify(after.map((r) => [r.regionId, r.reachable, r.lagMillis]))}`);
    return { reactionSeen: true, reaction: `${CUT} unreachable (${error.error.code}), converged after heal`, timeToReactMillis, lost, checked, clients, volume };
  },
};
