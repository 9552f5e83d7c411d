// One lifecycle for every engine: close() is idempotent and awaitable,
// Symbol.asyncDispose ends it (await using), the old ending names still work,
// and closing never removes the host's own listeners.
import { CrossRegionSync, HealthMonitor, ManualClock, MemoryReplicaStore, ReplicaWriter, TrafficRouter, WebhookNotifier, type Prober } from '@meridian/core';
import { describe, expect, it } from 'vitest';

const T0 = 1_790_000_000_000;
const healthy: Prober = { probe: async () => ({ ok: true }) };

function monitor(clock: ManualClock): HealthMonitor {
  return new HealthMonitor({ regions: [{ id: 'us-east', endpoint: 'http://127.0.0.1:1' }], prober: healthy, clock, intervalMillis: 1_000, timeoutMillis: 500 });
}

function sync(clock: ManualClock): CrossRegionSync {
  return new CrossRegionSync({ regions: ['us-east', 'eu-west'].map((id) => ({ id, store: new MemoryReplicaStore() })), clock, intervalMillis: 1_000 });
}

/** A sync (manual policy) holding one pending conflict on `key`, for a `resolve()` after close. */
async function syncWithConflict(clock: ManualClock, key: string): Promise<CrossRegionSync> {
  const ids = ['us-east', 'eu-west'];
  const stores = ids.map(() => new MemoryReplicaStore());
  const s = new CrossRegionSync({ regions: ids.map((id, i) => ({ id, store: stores[i]! })), clock, conflictPolicy: 'manual' });
  await s.syncNow();
  await new ReplicaWriter({ regionId: 'us-east', store: stores[0]!, clock, writerId: 'app' }).put(key, 'dark');
  await clock.advanceAsync(10);
  await new ReplicaWriter({ regionId: 'eu-west', store: stores[1]!, clock, writerId: 'app' }).put(key, 'light');
  await s.syncNow();
  expect((await s.conflicts()).map((c) => c.key)).toEqual([key]);
  return s;
}

function notifier(clock: ManualClock): WebhookNotifier {
  return new WebhookNotifier({ webhooks: [{ url: 'http://127.0.0.1:1/hook', name: 'ops' }], clock });
}

function router(): TrafficRouter {
  return new TrafficRouter({ regions: [{ id: 'us-east', endpoint: 'http://127.0.0.1:1' }] });
}

describe('HealthMonitor', () => {
  it('start() returns a promise and stays idempotent; close() is idempotent and stops every timer', async () => {
    const clock = new ManualClock(T0);
    const m = monitor(clock);
    await Promise.all([m.start(), m.start()]);
    expect(m.running).toBe(true);
    expect(clock.pendingTimers()).toBe(1);
    await Promise.all([m.close(), m.close()]);
    await m.close();
    expect(m.running).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('ends with await using', async () => {
    const clock = new ManualClock(T0);
    let kept: HealthMonitor;
    {
      await using m = monitor(clock);
      await m.start();
      kept = m;
    }
    expect(kept.running).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('keeps stop() as a deprecated alias', async () => {
    const clock = new ManualClock(T0);
    const m = monitor(clock);
    await m.start();
    await m.stop();
    expect(m.running).toBe(false);
  });
});

describe('CrossRegionSync', () => {
  it('keeps the host listeners after close(): later events still reach them', async () => {
    const s = await syncWithConflict(new ManualClock(T0), 'profile:7');
    const resolved: string[] = [];
    s.on('sync:resolved', (e) => resolved.push(e.key));
    await s.close();
    await s.resolve('profile:7', { value: 'settled' });
    expect(resolved).toEqual(['profile:7']);
  });

  it('close() is idempotent and awaitable; start() rejects after it', async () => {
    const clock = new ManualClock(T0);
    const s = sync(clock);
    await s.start();
    const first = s.close();
    expect(s.close()).toBe(first);
    await first;
    expect(clock.pendingTimers()).toBe(0);
    await expect(s.start()).rejects.toMatchObject({ code: 'SHUT_DOWN' });
    await expect(s.write('us-east', 'k', 1)).rejects.toMatchObject({ code: 'SHUT_DOWN' });
  });

  it('ends with await using', async () => {
    const clock = new ManualClock(T0);
    let kept: CrossRegionSync;
    {
      await using s = sync(clock);
      await s.start();
      kept = s;
    }
    expect(clock.pendingTimers()).toBe(0);
    await expect(kept.write('us-east', 'k', 1)).rejects.toMatchObject({ code: 'SHUT_DOWN' });
  });

  it('keeps shutdown() as a deprecated alias, which no longer removes listeners', async () => {
    const s = await syncWithConflict(new ManualClock(T0), 'k');
    const resolved: string[] = [];
    s.on('sync:resolved', (e) => resolved.push(e.key));
    await s.shutdown();
    await expect(s.write('us-east', 'k', 1)).rejects.toMatchObject({ code: 'SHUT_DOWN' });
    await s.resolve('k', { deleted: true });
    expect(resolved).toEqual(['k']);
  });
});

describe('WebhookNotifier', () => {
  it('close() is idempotent; listeners still hear what is dropped after it', async () => {
    const n = notifier(new ManualClock(T0));
    const dropped: string[] = [];
    n.on('alert:dropped', (e) => dropped.push(e.reason));
    const first = n.close({ timeoutMillis: 0 });
    expect(n.close()).toBe(first);
    await first;
    n.notify({ type: 'custom', severity: 'critical', message: 'after close' });
    expect(dropped).toEqual(['shutdown']);
  });

  it('ends with await using', async () => {
    let kept: WebhookNotifier;
    {
      await using n = notifier(new ManualClock(T0));
      kept = n;
    }
    expect(() => kept.watch({})).toThrow(expect.objectContaining({ code: 'SHUT_DOWN' }));
  });

  it('keeps shutdown() as a deprecated alias', async () => {
    const n = notifier(new ManualClock(T0));
    await n.shutdown({ timeoutMillis: 0 });
    expect(() => n.watch({})).toThrow(expect.objectContaining({ code: 'SHUT_DOWN' }));
  });
});

describe('TrafficRouter', () => {
  it('close() is idempotent: a second call waits for the first', async () => {
    const t = router();
    const first = t.close();
    expect(t.close()).toBe(first);
    await first;
    await expect(t.forward({ method: 'GET', path: '/' })).rejects.toMatchObject({ code: 'SHUT_DOWN' });
  });

  it('ends with await using', async () => {
    let kept: TrafficRouter;
    {
      await using t = router();
      kept = t;
    }
    await expect(kept.forward({ method: 'GET', path: '/' })).rejects.toMatchObject({ code: 'SHUT_DOWN' });
  });
});
