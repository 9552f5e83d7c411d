import { BlobServiceClient } from '@azure/storage-blob';
import { ManualClock, MeridianError, type Lease } from '@meridian/core';
import { AzureBlobLeaseStore } from '@meridian/providers-azure';
import { runLeaseStoreConformance } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';
import { useAzurite } from './azurite-fixture.js';

const az = useAzurite();
const store = (containerName: string, clock?: ManualClock): AzureBlobLeaseStore => new AzureBlobLeaseStore({ connectionString: az.azurite.connectionString, containerName, clock });

// Expiry is decided by the store's Clock, so virtual time drives the suite; real blob leases do the exclusion.
runLeaseStoreConformance('AzureBlobLeaseStore on Azurite (virtual time)', async () => {
  const clock = new ManualClock(Date.now());
  return { store: store(az.container(), clock), advance: async (millis) => clock.advance(millis) };
});

runLeaseStoreConformance(
  'AzureBlobLeaseStore on Azurite (real time)',
  async () => ({ store: store(az.container()), advance: (millis) => new Promise((resolve) => setTimeout(resolve, millis)) }),
  300,
);

describe('AzureBlobLeaseStore', () => {
  it('one holder at a time under a race of 6 holders (separate store objects), tokens strictly growing', async () => {
    const container = az.container();
    const holders = Array.from({ length: 6 }, (_, i) => ({ id: `h${i}`, store: store(container) }));
    const held: Array<{ holder: string; token: number; from: number; to: number }> = [];
    const deadline = Date.now() + 2_000;
    await Promise.all(
      holders.map(async ({ id, store: s }) => {
        while (Date.now() < deadline) {
          const lease = await s.acquire('race', id, 5_000);
          if (!lease) continue;
          const from = performance.now();
          const renewed = await s.renew(lease, 5_000);
          expect(renewed.token).toBe(lease.token);
          const to = performance.now();
          await s.release(lease);
          held.push({ holder: id, token: lease.token, from, to });
        }
      }),
    );
    expect(held.length).toBeGreaterThan(10);
    const byToken = [...held].sort((a, b) => a.token - b.token);
    for (let i = 1; i < byToken.length; i++) {
      expect(byToken[i]!.token).toBeGreaterThan(byToken[i - 1]!.token);
      // A new holder's acquire returns only after the previous holder released: holding intervals never overlap.
      expect(byToken[i]!.from).toBeGreaterThanOrEqual(byToken[i - 1]!.to);
    }
    console.log(`race: ${held.length} acquisitions by ${new Set(held.map((h) => h.holder)).size} holders in 2 s, tokens 1..${byToken.at(-1)!.token}`);
  });

  it('exactly one of 8 simultaneous acquirers wins an expired lease, with a larger token', async () => {
    const container = az.container();
    const clock = new ManualClock(Date.now());
    const stores = Array.from({ length: 8 }, () => store(container, clock));
    const first = (await stores[0]!.acquire('expired', 'old', 1_000))!;
    clock.advance(1_001);
    const results = await Promise.all(stores.map((s, i) => s.acquire('expired', `c${i}`, 1_000)));
    const winners = results.filter((r): r is Lease => r !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]!.token).toBe(first.token + 1);
    await expect(stores[0]!.renew(first, 1_000)).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'LEASE_LOST'));
  });

  it('uses a real infinite blob lease: other writers get 412, and break() fences the holder', async () => {
    const container = az.container();
    const s = store(container);
    const lease = (await s.acquire('fenced', 'a', 10_000))!;
    const blob = BlobServiceClient.fromConnectionString(az.azurite.connectionString).getContainerClient(container).getBlockBlobClient('leases/fenced');
    const props = await blob.getProperties();
    expect(props).toMatchObject({ leaseState: 'leased', leaseDuration: 'infinite' });
    await expect(blob.setMetadata({ meridianholder: 'intruder' })).rejects.toMatchObject({ statusCode: 412 });
    await s.break('fenced');
    expect(await s.current('fenced')).toBeUndefined();
    await expect(s.renew(lease, 10_000)).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'LEASE_LOST'));
    const next = (await s.acquire('fenced', 'b', 10_000))!;
    expect(next.token).toBe(lease.token + 1);
  });

  it('is STORE_UNAVAILABLE when Azurite is down, and works again once it is back', async () => {
    const s = store(az.container());
    await az.azurite.stop();
    try {
      await expect(new AzureBlobLeaseStore({ connectionString: az.azurite.connectionString, containerName: 'leases', maxTries: 1 }).current('x')).rejects.toSatisfy(
        (e: unknown) => MeridianError.hasCode(e, 'STORE_UNAVAILABLE') && /container "leases" in account "devstoreaccount1"/.test((e as Error).message),
      );
    } finally {
      await az.azurite.restart();
    }
    // In-memory Azurite lost the container: the store creates it again.
    expect(await s.acquire('back', 'a', 1_000)).toMatchObject({ holder: 'a', token: 1 });
  });

  it('measures lease call latency', async () => {
    const s = store(az.container());
    const rounds = 30;
    const t = { acquire: 0, renew: 0, release: 0 };
    for (let i = 0; i < rounds; i++) {
      let at = performance.now();
      const lease = (await s.acquire('timed', 'a', 10_000))!;
      t.acquire += performance.now() - at;
      at = performance.now();
      await s.renew(lease, 10_000);
      t.renew += performance.now() - at;
      at = performance.now();
      await s.release(lease);
      t.release += performance.now() - at;
    }
    console.log(`Azurite lease calls (mean of ${rounds}): acquire ${(t.acquire / rounds).toFixed(2)} ms, renew ${(t.renew / rounds).toFixed(2)} ms, release ${(t.release / rounds).toFixed(2)} ms`);
  });
});
