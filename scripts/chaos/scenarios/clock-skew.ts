import { ManualClock, ReplicaWriter, type Clock, type SyncClockSkewEvent } from '@meridian/core';
import { collectEvents, scanAll } from '@meridian/testkit';
import { createLocalReplicaStore } from '@meridian/providers-local';
import { startLab } from '../lab.js';
import { check, type ChaosScenario } from '../scenario.js';

const AHEAD = 60_000;
const BOUND = 5_000;
const SKEWED_KEYS = ['skew:1', 'skew:2', 'skew:3'];

/**
 * 11. A writer in eu-west runs 60 s ahead. Its records must be held (never
 * applied out of order) until the receivers' clocks are within the bound, then
 * applied in the order written. Sync runs on a ManualClock so the 56 s wait is
 * virtual; the regions and their stores are real.
 */
export const clockSkew: ChaosScenario = {
  id: 'clock-skew',
  title: `clock skew (eu-west writer ${AHEAD / 1000} s ahead)`,
  expected: 'records held (sync:clock-skew), applied in order within bound',
  deadlineMillis: 30_000,
  // The fault is off the clients' path (front door → regions): every request must be served.
  clientGoals: { maxFailedGets: 0, maxFailedPosts: 0 },
  run: async (ctx) => {
    const clock = new ManualClock(Date.now());
    const lab = await startLab(ctx, { sync: { clock, start: false } });
    const skewEvents = collectEvents(lab.sync, 'sync:clock-skew').events;
    await lab.sync.syncNow({ signal: ctx.signal }); // past the first catch-up: this is the push path
    const ahead: Clock = { now: () => clock.now() + AHEAD, setTimeout: (fn, ms) => clock.setTimeout(fn, ms) };
    const store = createLocalReplicaStore({ endpoint: lab.endpoint('eu-west'), timeoutMillis: 300 });
    ctx.defer(() => store.close());
    const fast = new ReplicaWriter({ regionId: 'eu-west', store, clock: ahead, writerId: 'fast' });
    const started = performance.now();
    for (const [i, key] of SKEWED_KEYS.entries()) {
      await fast.put(key, i);
      lab.workload.acked.set(key, i); // acknowledged by eu-west: must reach everyone
    }
    let first: SyncClockSkewEvent | undefined;
    for (let i = 0; i < 20 && !first; i++) {
      await lab.sync.syncNow({ signal: ctx.signal });
      first = skewEvents[0];
    }
    check(first, 'no sync:clock-skew event');
    const timeToReactMillis = Math.round(performance.now() - started);
    ctx.log(`held: ${first.from} → ${first.to} "${first.key}" ${first.skewMillis} ms ahead (bound ${first.maxClockSkewMillis})`);
    check(first.from === 'eu-west' && first.skewMillis > 50_000, `unexpected skew event ${JSON.stringify(first)}`);
    for (const id of ['us-east', 'ap-south']) {
      const keys = (await scanAll(createLocalReplicaStoreOnce(lab.endpoint(id), ctx))).map((r) => r.key);
      check(!keys.some((k) => SKEWED_KEYS.includes(k)), `${id} applied a record from the future`);
    }
    check(lab.sync.status().pairs.some((p) => p.from === 'eu-west' && p.state === 'held'), 'no pair from eu-west is held');

    await clock.advanceAsync(AHEAD - BOUND + 1_000); // the receivers' clocks catch up to within the bound
    await lab.sync.syncNow({ signal: ctx.signal });
    for (const id of ['us-east', 'ap-south']) {
      const order = (await scanAll(createLocalReplicaStoreOnce(lab.endpoint(id), ctx))).map((r) => r.key).filter((k) => SKEWED_KEYS.includes(k));
      check(JSON.stringify(order) === JSON.stringify(SKEWED_KEYS), `${id} applied ${JSON.stringify(order)}, expected ${JSON.stringify(SKEWED_KEYS)} in order`);
    }
    const { lost, checked, clients, volume } = await lab.nothingLost();
    return { reactionSeen: true, reaction: `${skewEvents.length} record(s) held, then applied in order`, timeToReactMillis, lost, checked, clients, volume };
  },
};

/** A read-only store on a region, closed at clean-up. */
function createLocalReplicaStoreOnce(endpoint: string, ctx: { defer(cleanup: () => unknown): void }) {
  const store = createLocalReplicaStore({ endpoint, timeoutMillis: 1_000 });
  ctx.defer(() => store.close());
  return store;
}
