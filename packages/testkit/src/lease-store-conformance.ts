import type { Lease, LeaseStore } from '@meridian/core';
import { MeridianError } from '@meridian/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** What a LeaseStore backend gives the conformance suite. */
export interface LeaseStoreFixture {
  store: LeaseStore;
  /** Moves the store's notion of time forward (a ManualClock, or a real wait). */
  advance(millis: number): Promise<void>;
  /** Frees what the fixture started. */
  close?(): Promise<void>;
}

/**
 * The behaviour every LeaseStore must have (memory, Kubernetes Lease, Azure
 * Blob lease, Redis): one holder at a time, expiry, renewal, release, and
 * fencing tokens that only grow. `ttl` should be short for real backends.
 */
export function runLeaseStoreConformance(name: string, makeFixture: () => Promise<LeaseStoreFixture>, ttl = 1000): void {
  describe(`LeaseStore conformance: ${name}`, () => {
    let fx: LeaseStoreFixture;
    let lease = 'conformance';
    let n = 0;
    beforeEach(async () => {
      fx = await makeFixture();
      lease = `conformance-${++n}`;
    });
    afterEach(async () => {
      await fx.close?.();
    });

    it('gives a free lease to the first holder and refuses others while it is held', async () => {
      const a = await fx.store.acquire(lease, 'a', ttl);
      expect(a).toMatchObject({ name: lease, holder: 'a' });
      expect(await fx.store.acquire(lease, 'b', ttl)).toBeUndefined();
      expect(await fx.store.current(lease)).toMatchObject({ holder: 'a', token: a!.token });
    });

    it('lets the holder acquire again without changing its token', async () => {
      const first = await fx.store.acquire(lease, 'a', ttl);
      const again = await fx.store.acquire(lease, 'a', ttl);
      expect(again!.token).toBe(first!.token);
    });

    it('expires a lease that is not renewed; the next holder gets a larger token', async () => {
      const a = await fx.store.acquire(lease, 'a', ttl);
      await fx.advance(ttl + 1);
      expect(await fx.store.current(lease)).toBeUndefined();
      const b = await fx.store.acquire(lease, 'b', ttl);
      expect(b!.holder).toBe('b');
      expect(b!.token).toBeGreaterThan(a!.token);
    });

    it('renew extends the lease', async () => {
      const a = await fx.store.acquire(lease, 'a', ttl);
      await fx.advance(ttl / 2);
      const renewed = await fx.store.renew(a!, ttl);
      expect(renewed.token).toBe(a!.token);
      await fx.advance(ttl / 2 + 1);
      expect(await fx.store.current(lease)).toMatchObject({ holder: 'a' });
      expect(await fx.store.acquire(lease, 'b', ttl)).toBeUndefined();
    });

    it('renew of a lost lease fails with LEASE_LOST, and the stale token stays lower', async () => {
      const a = await fx.store.acquire(lease, 'a', ttl);
      await fx.advance(ttl + 1);
      const b = await fx.store.acquire(lease, 'b', ttl);
      await expect(fx.store.renew(a!, ttl)).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'LEASE_LOST'));
      expect(b!.token).toBeGreaterThan(a!.token);
      expect(await fx.store.current(lease)).toMatchObject({ holder: 'b' });
    });

    it('renew after expiry fails with LEASE_LOST even when nobody took it', async () => {
      const a = await fx.store.acquire(lease, 'a', ttl);
      await fx.advance(ttl + 1);
      await expect(fx.store.renew(a!, ttl)).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'LEASE_LOST'));
    });

    it('release frees the lease; a stale release changes nothing; tokens keep growing', async () => {
      const a = await fx.store.acquire(lease, 'a', ttl);
      await fx.store.release(a!);
      expect(await fx.store.current(lease)).toBeUndefined();
      const b = await fx.store.acquire(lease, 'b', ttl);
      expect(b!.token).toBeGreaterThan(a!.token);
      await fx.store.release(a!);
      expect(await fx.store.current(lease)).toMatchObject({ holder: 'b' });
      const tokens: Lease[] = [b!];
      for (let i = 0; i < 3; i++) {
        await fx.store.release(tokens.at(-1)!);
        tokens.push((await fx.store.acquire(lease, `h${i}`, ttl))!);
      }
      for (let i = 1; i < tokens.length; i++) expect(tokens[i]!.token).toBeGreaterThan(tokens[i - 1]!.token);
    });

    it('refuses bad arguments with INVALID_CONFIG', async () => {
      await expect(fx.store.acquire('', 'a', ttl)).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'INVALID_CONFIG'));
      await expect(fx.store.acquire(lease, 'a', 0)).rejects.toThrow(/ttlMillis/);
      await expect(fx.store.acquire(lease, '', ttl)).rejects.toThrow(/holder/);
    });
  });
}
