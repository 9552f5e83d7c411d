import { MemoryLeaseStore, MeridianError, type LeaseStore } from '@meridian/core';
import { waitForEvent, collectEvents } from '@meridian/testkit';
import { allHealthy } from '../failover-drill.js';
import { startLab } from '../lab.js';
import { check, type ChaosScenario } from '../scenario.js';

const TTL = 1_500;

/** A holder's view of the lease store that can freeze: calls block until thawed (a paused process, a stalled link). */
function freezable(store: LeaseStore): LeaseStore & { freeze(): void; thaw(): void } {
  let frozen: { promise: Promise<void>; release: () => void } | undefined;
  const gate = async (): Promise<void> => {
    if (!frozen) return;
    await frozen.promise;
    throw new MeridianError('STORE_UNAVAILABLE', 'lease store call stalled (chaos)');
  };
  return {
    acquire: async (...args) => (await gate(), store.acquire(...args)),
    renew: async (...args) => (await gate(), store.renew(...args)),
    release: async (...args) => (await gate(), store.release(...args)),
    current: async (...args) => (await gate(), store.current(...args)),
    freeze() {
      let release = (): void => undefined;
      const promise = new Promise<void>((resolve) => (release = resolve));
      frozen = { promise, release };
    },
    thaw() {
      const f = frozen;
      frozen = undefined;
      f?.release();
    },
  };
}

/**
 * 10. Two FailoverManagers share one lease store; the holder's renewals stall
 * past the TTL. The other must take over and act; the stale holder must stop
 * acting, and its old fencing token must be refused by the provider.
 */
export const leasePause: ChaosScenario = {
  id: 'lease-pause',
  title: `lease holder paused past its TTL (${TTL} ms)`,
  expected: 'standby takes over; stale holder fenced (LEASE_LOST)',
  deadlineMillis: 30_000,
  clientGoals: { maxFailedGets: 0 },
  run: async (ctx) => {
    const lab = await startLab(ctx);
    const monitor = lab.monitor();
    const shared = new MemoryLeaseStore();
    const stalled = freezable(shared);
    ctx.defer(() => stalled.thaw());
    const lease = { leaseTtlMillis: TTL, leaseRenewMillis: 300, leaseName: 'chaos-failover' };
    const a = await lab.manager(monitor, { ...lease, leaseStore: stalled, holderId: 'a' });
    const b = await lab.manager(monitor, { ...lease, leaseStore: shared, holderId: 'b' });
    monitor.start();
    await allHealthy(monitor, lab.ids, ctx.signal);
    check(a.isLeader && !b.isLeader, `a should lead first (a=${a.isLeader}, b=${b.isLeader})`);
    const staleToken = (await shared.current('chaos-failover'))!.token;
    const aTraffic = collectEvents(a, 'traffic:changed').events;

    const takeover = waitForEvent(b, 'lease:acquired', { timeoutMillis: TTL * 4 });
    const started = performance.now();
    stalled.freeze(); // a's renewals hang from here on
    const acquired = await takeover;
    const timeToReactMillis = Math.round(performance.now() - started);
    ctx.log(`b took the lease (token ${acquired.token}, a had ${staleToken}) ${timeToReactMillis} ms after a stalled`);
    check(!a.isLeader, 'a still believes it leads past its TTL');
    check(acquired.token > staleToken, `new token ${acquired.token} is not above the stale ${staleToken}`);

    // b acts: the primary fails and b (not a) moves traffic.
    const failedOver = waitForEvent(b, 'failover:completed', { filter: (r) => r.kind === 'automatic', timeoutMillis: 10_000 });
    await lab.provider.failRate('us-east', 1);
    const report = await failedOver;
    check(report.to === 'eu-west' && lab.provider.traffic()['eu-west'] === 100, `b failed over to ${report.to}`);
    check(aTraffic.length === 0, `the stale holder changed traffic ${aTraffic.length} time(s)`);
    // a refuses to act on its own, and had it acted on its old token, the provider would refuse it.
    let refusedByManager = false;
    try {
      a.failover({ to: 'ap-south' });
    } catch (error) {
      refusedByManager = MeridianError.hasCode(error, 'LEASE_HELD');
    }
    let fenced = false;
    try {
      await lab.provider.setTraffic({ 'us-east': 100 }, { fencingToken: staleToken });
    } catch (error) {
      fenced = MeridianError.hasCode(error, 'LEASE_LOST');
    }
    check(refusedByManager, 'the stale manager did not refuse to act (LEASE_HELD)');
    check(fenced, 'the provider accepted the stale fencing token');
    check(lab.provider.traffic()['eu-west'] === 100, 'traffic moved by the stale token');

    await lab.provider.failRate('us-east', 0);
    stalled.thaw();
    const { lost, checked, clients, volume } = await lab.nothingLost();
    return { reactionSeen: true, reaction: `b took over (token ${acquired.token}), a fenced: LEASE_HELD + LEASE_LOST`, timeToReactMillis, lost, checked, clients, volume };
  },
};
