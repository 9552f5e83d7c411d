import { MeridianError, type SnapshotStore } from '@meridian/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** What a SnapshotStore backend gives the conformance suite. */
export interface SnapshotStoreFixture {
  store: SnapshotStore;
  close?(): Promise<void>;
}

const coded = (code: string) => (e: unknown) => MeridianError.hasCode(e, code as never);

/**
 * The behaviour every SnapshotStore must have (memory, filesystem, Azure Blob):
 * round trips, content etags, If-Match / If-None-Match, delete, list by prefix,
 * key validation and abort.
 */
export function runSnapshotStoreConformance(name: string, makeFixture: () => Promise<SnapshotStoreFixture>): void {
  describe(`SnapshotStore conformance: ${name}`, () => {
    let fx: SnapshotStoreFixture;
    beforeEach(async () => {
      fx = await makeFixture();
    });
    afterEach(async () => {
      await fx.close?.();
    });

    it('stores and returns bytes with an etag that changes with the content', async () => {
      const a = await fx.store.put('session:1', Buffer.from('one'));
      expect(await fx.store.get('session:1')).toEqual({ bytes: Buffer.from('one'), etag: a.etag });
      const b = await fx.store.put('session:1', Buffer.from('two'));
      expect(b.etag).not.toBe(a.etag);
      expect((await fx.store.get('session:1'))?.bytes.toString()).toBe('two');
      expect(await fx.store.get('session:missing')).toBeUndefined();
    });

    it('holds large binary values intact', async () => {
      const big = Buffer.alloc(3 * 1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
      await fx.store.put('big', big);
      expect((await fx.store.get('big'))!.bytes.equals(big)).toBe(true);
    });

    it('ifNoneMatch "*" creates only when absent; ifMatch writes only over the expected version', async () => {
      const first = await fx.store.put('k', Buffer.from('v1'), { ifNoneMatch: '*' });
      await expect(fx.store.put('k', Buffer.from('v2'), { ifNoneMatch: '*' })).rejects.toSatisfy(coded('PRECONDITION_FAILED'));
      const second = await fx.store.put('k', Buffer.from('v2'), { ifMatch: first.etag });
      await expect(fx.store.put('k', Buffer.from('v3'), { ifMatch: first.etag })).rejects.toSatisfy(coded('PRECONDITION_FAILED'));
      expect((await fx.store.get('k'))).toEqual({ bytes: Buffer.from('v2'), etag: second.etag });
      await expect(fx.store.put('absent', Buffer.from('x'), { ifMatch: first.etag })).rejects.toSatisfy(coded('PRECONDITION_FAILED'));
    });

    it('deletes (conditionally too) and lists by prefix', async () => {
      await fx.store.put('r1:a', Buffer.from('1'));
      const b = await fx.store.put('r1:b', Buffer.from('2'));
      await fx.store.put('r2:c', Buffer.from('3'));
      expect(await fx.store.list('r1:')).toEqual(['r1:a', 'r1:b']);
      expect(await fx.store.list()).toEqual(['r1:a', 'r1:b', 'r2:c']);
      await expect(fx.store.delete('r1:b', { ifMatch: '"stale"' })).rejects.toSatisfy(coded('PRECONDITION_FAILED'));
      expect(await fx.store.delete('r1:b', { ifMatch: b.etag })).toBe(true);
      expect(await fx.store.delete('r1:b')).toBe(false);
      expect(await fx.store.list('r1:')).toEqual(['r1:a']);
    });

    it('refuses keys that are not safe names, and aborted calls', async () => {
      for (const key of ['', '../escape', 'a/b', 'x'.repeat(201), 'white space']) {
        await expect(fx.store.put(key, Buffer.from('x'))).rejects.toSatisfy(coded('INVALID_ARGUMENT'));
      }
      const controller = new AbortController();
      controller.abort();
      await expect(fx.store.put('k2', Buffer.from('x'), { signal: controller.signal })).rejects.toSatisfy(coded('ABORTED'));
      expect(await fx.store.get('k2')).toBeUndefined();
    });

    it('serialises concurrent conditional creates: exactly one wins', async () => {
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => fx.store.put('race', Buffer.from(`w${i}`), { ifNoneMatch: '*' })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected' && coded('PRECONDITION_FAILED')(r.reason))).toHaveLength(9);
    });
  });
}
