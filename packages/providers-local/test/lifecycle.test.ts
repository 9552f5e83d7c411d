// One lifecycle: LocalProvider and its FrontDoor end with close() (idempotent,
// awaitable) or `await using`; LocalProvider.stop() is kept as a deprecated alias.
import { MeridianError } from '@meridian/core';
import { createLocalProvider, type FrontDoor, type LocalProvider } from '@meridian/providers-local';
import { findLeakedProcesses, seedRegions } from '@meridian/testkit';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';

const shutDown = (e: unknown): boolean => MeridianError.hasCode(e, 'SHUT_DOWN');

describe('LocalProvider lifecycle', () => {
  it('close() is idempotent and awaitable: a second call waits for the first; processes and the front door end', async () => {
    const provider = createLocalProvider({ regions: seedRegions(2) });
    await provider.deploy({ name: 'life', regions: [] });
    const pids = provider.pids();
    const door = await provider.startFrontDoor();
    const first = provider.close();
    expect(provider.close()).toBe(first);
    await first;
    expect(await findLeakedProcesses(pids)).toEqual([]);
    await expect(request(door.url)).rejects.toThrow();
    await expect(provider.deploy({ name: 'again', regions: [] })).rejects.toSatisfy(shutDown);
  });

  it('ends with await using', async () => {
    let kept: LocalProvider;
    {
      await using provider = createLocalProvider({ regions: seedRegions(2) });
      kept = provider;
    }
    await expect(kept.deploy({ name: 'again', regions: [] })).rejects.toSatisfy(shutDown);
  });

  it('keeps stop() as a deprecated alias', async () => {
    const provider = createLocalProvider({ regions: seedRegions(2) });
    await provider.stop();
    await expect(provider.deploy({ name: 'again', regions: [] })).rejects.toSatisfy(shutDown);
  });
});

describe('FrontDoor lifecycle', () => {
  it('close() is idempotent; await using ends it; the provider can still close afterwards', async () => {
    const provider = createLocalProvider({ regions: seedRegions(2) });
    try {
      let kept: FrontDoor;
      {
        await using door = await provider.startFrontDoor();
        kept = door;
      }
      await Promise.all([kept.close(), kept.close()]);
      await expect(request(kept.url)).rejects.toThrow();
      await expect(kept.traffic.forward({ method: 'GET', path: '/' })).rejects.toSatisfy(shutDown);
    } finally {
      await provider.close();
    }
  });
});
