import { describe, expect, it } from 'vitest';
import type { ReplicaRecord } from '../contracts/replica-store.js';
import { reconcile, type ConflictPolicy } from './conflict-resolution.js';
import { encodeHlc } from './hlc.js';
import { mergeVectors } from './version-vector.js';

const v = (wall: number, node: string) => encodeHlc({ wall, logical: 0, node });
function rec(key: string, value: unknown, origin: string, wall: number, vv: Record<string, string> = {}): ReplicaRecord {
  const version = v(wall, origin);
  return { key, value, deleted: false, version, origin, vv: mergeVectors(vv, { [origin]: version }) };
}
const ctx = (policy: ConflictPolicy) => ({ policy, priorityOf: (id: string) => ['us-east', 'eu-west', 'ap-south'].indexOf(id) });

describe('reconcile', () => {
  const base = rec('k', 'base', 'us-east', 100);
  const later = rec('k', 'later', 'eu-west', 200, base.vv); // saw base
  const concurrentA = rec('k', 'a', 'us-east', 300, base.vv);
  const concurrentB = rec('k', 'b', 'eu-west', 250, base.vv);

  it('takes a descendant without calling it a conflict, and skips an ancestor or the same record', () => {
    expect(reconcile(later, base, ctx('manual'))).toEqual({ kind: 'write', record: later });
    expect(reconcile(base, later, ctx('manual'))).toEqual({ kind: 'skip' });
    expect(reconcile(later, later, ctx('manual'))).toEqual({ kind: 'skip' });
    expect(reconcile(base, undefined, ctx('manual'))).toEqual({ kind: 'write', record: base });
  });

  it('latest-wins keeps the higher HLC version, whichever side it is on', () => {
    for (const [x, y] of [
      [concurrentA, concurrentB],
      [concurrentB, concurrentA],
    ] as const) {
      const out = reconcile(x, y, ctx('latest-wins'));
      expect(out.kind).toBe('conflict');
      if (out.kind !== 'conflict') return;
      expect(out.record.value).toBe('a');
      expect(out.record.vv).toEqual(mergeVectors(concurrentA.vv, concurrentB.vv));
      expect(out.queued).toBe(false);
    }
  });

  it('primary-wins keeps the higher-priority region even when its write is older', () => {
    const out = reconcile(concurrentB, concurrentA, ctx('primary-wins'));
    expect(out.kind === 'conflict' && out.record.value).toBe('a');
    const east = rec('k', 'east-old', 'us-east', 150, base.vv);
    const west = rec('k', 'west-new', 'eu-west', 900, base.vv);
    const out2 = reconcile(west, east, ctx('primary-wins'));
    expect(out2.kind === 'conflict' && out2.record.value).toBe('east-old');
  });

  it('manual keeps every concurrent version, identically from both sides', () => {
    const one = reconcile(concurrentA, concurrentB, ctx('manual'));
    const two = reconcile(concurrentB, concurrentA, ctx('manual'));
    expect(one).toEqual(two);
    if (one.kind !== 'conflict') throw new Error('expected a conflict');
    expect(one.queued).toBe(true);
    expect(one.record.value).toBe('a'); // shown meanwhile: the newest
    expect(one.record.conflicts).toEqual([{ value: 'b', deleted: false, version: concurrentB.version, origin: 'eu-west' }]);
    // A third concurrent write joins the same queue.
    const third = rec('k', 'c', 'ap-south', 260, base.vv);
    const three = reconcile(third, one.record, ctx('manual'));
    expect(three.kind === 'conflict' && three.record.conflicts?.map((c) => c.value)).toEqual(['b', 'c']);
  });

  it('a resolution that meets a concurrent write does not bring back the resolved versions', () => {
    const queued = reconcile(concurrentA, concurrentB, ctx('manual'));
    if (queued.kind !== 'conflict') throw new Error('expected a conflict');
    const resolvedVersion = v(400, 'us-east');
    const resolved: ReplicaRecord = { key: 'k', value: 'settled', deleted: false, version: resolvedVersion, origin: 'us-east', vv: mergeVectors(queued.record.vv, { 'us-east': resolvedVersion }) };
    const stillQueued = { ...queued.record }; // another region still holds the queue...
    const newer = rec('k', 'new-west', 'eu-west', 410, stillQueued.vv);
    newer.conflicts = stillQueued.conflicts; // ...and wrote on top of it
    const out = reconcile(newer, resolved, ctx('manual'));
    if (out.kind !== 'conflict') throw new Error('expected a conflict');
    expect(out.versions.map((x) => x.value)).toEqual(['settled', 'new-west']);
  });

  it('a custom resolver merges deterministically', () => {
    const union: ConflictPolicy = ({ versions }) => ({ value: [...new Set(versions.flatMap((x) => (Array.isArray(x.value) ? x.value : [])))].sort() });
    const x = rec('cart', ['apple'], 'us-east', 300, {});
    const y = rec('cart', ['pear'], 'eu-west', 310, {});
    const one = reconcile(x, y, ctx(union));
    const two = reconcile(y, x, ctx(union));
    expect(one).toEqual(two);
    expect(one.kind === 'conflict' && one.record.value).toEqual(['apple', 'pear']);
  });

  it('a delete concurrent with a write is a conflict like any other', () => {
    const del: ReplicaRecord = { key: 'k', deleted: true, version: v(500, 'eu-west'), origin: 'eu-west', vv: mergeVectors(base.vv, { 'eu-west': v(500, 'eu-west') }) };
    const out = reconcile(del, concurrentA, ctx('latest-wins'));
    expect(out.kind === 'conflict' && out.record.deleted).toBe(true);
    expect(out.kind === 'conflict' && 'value' in out.record).toBe(false);
  });
});
