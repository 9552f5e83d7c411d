import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manual-clock.js';
import type { ApplyResult, ReplicaStore, ReplicaWrite, StoredRecord } from '../contracts/replica-store.js';
import { MeridianError } from '../errors/meridian-error.js';
import { Delivery, IN_FLIGHT, type DeliveryContext } from './delivery.js';
import { encodeHlc, HybridLogicalClock } from './hlc.js';
import { MemoryReplicaStore } from './memory-replica-store.js';
import { TokenBucket } from './token-bucket.js';

const T0 = 1_790_000_000_000;

function records(from: number, n: number): StoredRecord[] {
  return Array.from({ length: n }, (_, j) => {
    const i = from + j;
    const version = encodeHlc({ wall: T0 + i, logical: 0, node: 'us-east' });
    return { key: `k${i}`, value: i, deleted: false, version, origin: 'us-east', vv: { 'us-east': version }, seq: i + 1, etag: 'e'.repeat(40) };
  });
}

/** A target whose applies wait until the test lets each through (or fails it), recording their order. */
function gatedTarget(): { store: ReplicaStore; applied: string[][]; started: number; release(error?: Error): void } {
  const inner = new MemoryReplicaStore();
  const gates: Array<{ go: () => void; fail: (e: Error) => void }> = [];
  const waiting: Array<(gate: { go: () => void; fail: (e: Error) => void }) => void> = [];
  const state = {
    applied: [] as string[][],
    started: 0,
    release(error?: Error) {
      const next = (gate: { go: () => void; fail: (e: Error) => void }) => (error ? gate.fail(error) : gate.go());
      const gate = gates.shift();
      if (gate) next(gate);
      else waiting.push(next);
    },
    store: {
      getMany: (keys, options) => inner.getMany(keys, options),
      scan: (options) => inner.scan(options),
      digest: (nodes, options) => inner.digest(nodes, options),
      entries: (nodes, options) => inner.entries(nodes, options),
      apply: async (writes: readonly ReplicaWrite[]): Promise<ApplyResult> => {
        state.started += 1;
        await new Promise<void>((go, fail) => {
          const gate = { go, fail };
          const early = waiting.shift();
          if (early) early(gate);
          else gates.push(gate);
        });
        state.applied.push(writes.map((w) => w.key));
        return inner.apply(writes);
      },
    } satisfies ReplicaStore,
  };
  return state;
}

function context(target: ReplicaStore, sent: number[]): DeliveryContext {
  return {
    from: 'us-east',
    to: 'eu-west',
    target,
    targetHlc: new HybridLogicalClock({ node: 'eu-west', clock: new ManualClock(T0 + 1_000_000) }),
    reconcile: { policy: 'latest-wins', priorityOf: () => 0 },
    encode: {},
    maxValueBytes: 262_144,
    maxBatchBytes: 1_048_576,
    bucket: undefined,
    signal: undefined,
    onSent: (bytes) => sent.push(bytes),
    onConflict: () => undefined,
    onSkew: () => undefined,
    onRejectedRecord: () => undefined,
  };
}

const turns = async (n = 20): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** Event-loop turns until `done` holds (compression runs on the thread pool); bounded. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !done(); i++) await new Promise((r) => setImmediate(r));
  expect(done()).toBe(true);
}

describe('Delivery', () => {
  it('applies frames in order while the next ones are built and sent, with at most IN_FLIGHT of them not yet applied', async () => {
    const target = gatedTarget();
    const sent: number[] = [];
    const delivery = new Delivery(context(target.store, sent));
    const applied: number[] = [];
    for (let frame = 1; frame <= IN_FLIGHT; frame++) await delivery.send(records(frame * 100, 100), () => applied.push(frame));
    await until(() => sent.length === IN_FLIGHT && target.started === 1); // all on the wire, the first one's apply waiting
    await turns();
    expect(target.started).toBe(1); // the others wait for it
    const next = delivery.send(records(0, 100), () => applied.push(IN_FLIGHT + 1));
    let built = false;
    void next.then(() => (built = true));
    await turns();
    expect(built).toBe(false); // held back until the target takes the first one
    target.release();
    await next;
    await until(() => sent.length === IN_FLIGHT + 1);
    for (let i = 0; i < IN_FLIGHT; i++) target.release();
    await delivery.drain();
    expect(applied).toEqual(Array.from({ length: IN_FLIGHT + 1 }, (_, i) => i + 1));
    expect(target.applied.map((keys) => keys[0])).toEqual([...Array.from({ length: IN_FLIGHT }, (_, i) => `k${(i + 1) * 100}`), 'k0']);
    expect(delivery.written).toBe(100 * (IN_FLIGHT + 1));
  });

  it('hands each frame to a target with prepare() as soon as it is decoded, while the frames before it wait to be applied', async () => {
    const target = gatedTarget();
    const prepared: string[][] = [];
    const store: ReplicaStore = { ...target.store, prepare: (list) => prepared.push(list.map((r) => r.key)) };
    const sent: number[] = [];
    const delivery = new Delivery(context(store, sent));
    for (let frame = 1; frame <= IN_FLIGHT; frame++) await delivery.send(records(frame * 100, 100));
    await until(() => prepared.length === IN_FLIGHT); // every frame, the first one's apply still held
    expect(target.started).toBe(1);
    expect(target.applied).toEqual([]);
    expect(prepared.map((keys) => [keys[0], keys.length])).toEqual(Array.from({ length: IN_FLIGHT }, (_, i) => [`k${(i + 1) * 100}`, 100]));
    for (let i = 0; i < IN_FLIGHT; i++) target.release();
    await delivery.drain();
    expect(delivery.written).toBe(100 * IN_FLIGHT);
  });

  it('after a frame fails, applies none after it, and says so to every later call', async () => {
    const target = gatedTarget();
    const delivery = new Delivery(context(target.store, []));
    const applied: number[] = [];
    await delivery.send(records(0, 10), () => applied.push(1));
    await delivery.send(records(10, 10), () => applied.push(2));
    await delivery.send(records(20, 10), () => applied.push(3));
    target.release();
    const failure = new MeridianError('STORE_UNAVAILABLE', 'eu-west: apply failed: connection reset');
    target.release(failure); // frame 2 fails
    await expect(delivery.drain()).rejects.toBe(failure);
    await expect(delivery.send(records(30, 10))).rejects.toBe(failure);
    await delivery.settle();
    expect(applied).toEqual([1]);
    expect(target.applied.map((keys) => keys[0])).toEqual(['k0']); // frame 3 never reached the target
    expect(target.started).toBe(2);
    expect(delivery.written).toBe(10);
  });

  it('sends frames through the bucket one after another: none is on the wire, or applied, before the limit lets it', async () => {
    const clock = new ManualClock(T0);
    const target = new MemoryReplicaStore();
    const sent: Array<{ bytes: number; at: number; applied: number }> = [];
    const bucket = new TokenBucket({ ratePerSecond: 10_000, burst: 1_000, clock });
    const delivery = new Delivery({
      ...context(target, []),
      bucket,
      encode: { compression: 'none' },
      onSent: (bytes) => sent.push({ bytes, at: clock.now() - T0, applied: target.size }),
    });
    for (let frame = 0; frame < IN_FLIGHT; frame++) await delivery.send(records(frame * 30, 30)); // about 5 KB each
    for (let step = 0; step < 1_000 && sent.length < IN_FLIGHT; step++) {
      await turns(3);
      await clock.advanceAsync(10);
    }
    await delivery.drain();
    expect(target.size).toBe(30 * IN_FLIGHT);
    // A frame is on the wire once the bucket has been repaid for it and every frame before it (take waits out the debt)...
    let bytes = 0;
    for (const [i, frame] of sent.entries()) {
      bytes += frame.bytes;
      const due = ((bytes - 1_000) / 10_000) * 1_000;
      expect(frame.at).toBeGreaterThanOrEqual(due - 1);
      expect(frame.at).toBeLessThanOrEqual(due + 30);
      expect(frame.applied).toBeLessThanOrEqual(30 * i); // ...and none is applied before it is on the wire
    }
  });

  it('stops on abort before it builds another frame', async () => {
    const controller = new AbortController();
    const delivery = new Delivery({ ...context(new MemoryReplicaStore(), []), signal: controller.signal });
    await delivery.send(records(0, 5));
    controller.abort(new Error('closing'));
    await expect(delivery.send(records(5, 5))).rejects.toMatchObject({ code: 'ABORTED' });
    await delivery.settle();
  });

  it('asks a target with flush() to finish what it applied when it drains, once per drain that wrote, and fails with it', async () => {
    const inner = new MemoryReplicaStore();
    const flushes: string[] = [];
    let failFlush = false;
    const target: ReplicaStore = {
      getMany: (keys, options) => inner.getMany(keys, options),
      scan: (options) => inner.scan(options),
      digest: (nodes, options) => inner.digest(nodes, options),
      entries: (nodes, options) => inner.entries(nodes, options),
      apply: (writes, options) => inner.apply(writes, options),
      flush: async () => {
        flushes.push(`after ${(await inner.scan({ since: 0, limit: 1000 })).records.length} records`);
        if (failFlush) throw new MeridianError('STORE_UNAVAILABLE', 'the files could not be written');
      },
    };
    const delivery = new Delivery(context(target, []));
    await delivery.send(records(0, 10));
    await delivery.send(records(10, 10));
    await delivery.drain();
    expect(flushes).toEqual(['after 20 records']); // once, after every frame was applied
    await delivery.drain();
    expect(flushes).toHaveLength(1); // nothing written since: nothing to flush
    failFlush = true;
    await delivery.send(records(20, 5));
    await expect(delivery.drain()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
