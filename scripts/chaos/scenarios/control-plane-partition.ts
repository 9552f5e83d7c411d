import { netnsSupport, startChaosProxy, type ChaosProxy } from '@meridian/testkit';
import { runFailoverDrill } from '../failover-drill.js';
import type { ChaosScenario } from '../scenario.js';

/**
 * 6. The control plane loses the primary, the primary stays up. As root the
 * regions live in network namespaces and the partition drops packets in the
 * kernel (it then cuts the syncer and the apps' writers too, which run beside
 * the control plane); otherwise a chaos proxy in front of the primary, on the
 * probe path only, blackholes.
 */
export const controlPlanePartition: ChaosScenario = {
  id: 'control-plane-partition',
  title: `partition control plane ↔ primary (${netnsSupport().ok ? 'netns, nftables drop' : 'chaos proxy blackhole'})`,
  expected: 'unhealthy → failover → heal → failback',
  deadlineMillis: 40_000,
  run: (ctx) => {
    if (netnsSupport().ok) {
      return runFailoverDrill(ctx, {
        lab: { netns: true },
        inject: async (lab) => lab.hosts!['us-east']!.partition(),
        heal: async (lab) => lab.hosts!['us-east']!.heal(),
        failback: true,
      });
    }
    let proxy: ChaosProxy | undefined;
    return runFailoverDrill(ctx, {
      probeVia: async (lab) => {
        proxy = await startChaosProxy({ target: { port: Number(new URL(lab.endpoint('us-east')).port) } });
        ctx.defer(() => proxy?.close());
        return { 'us-east': proxy.url };
      },
      inject: async () => proxy!.setFault({ blackhole: true }),
      heal: async () => proxy!.heal(),
      failback: true,
    });
  },
};
