// The two directions of a region pair share one Merkle walk per round. A write
// that lands in a region after the walk has read it must still reach the other
// region, whichever direction started the walk.
import { CrossRegionSync, ManualClock, MemoryReplicaStore, ReplicaWriter } from '@meridian/core';
import { interceptReplicaStore } from '@meridian/testkit';
import { afterEach, expect, it } from 'vitest';

let sync: CrossRegionSync | undefined;
afterEach(async () => {
  await sync?.shutdown();
  sync = undefined;
});

it('a write landing between the shared walk and the other direction joining it is pushed, not skipped by its cursor', async () => {
  const clock = new ManualClock(1_790_000_000_000);
  const usEast = new MemoryReplicaStore();
  const euWest = new MemoryReplicaStore();
  const app = new ReplicaWriter({ regionId: 'us-east', store: usEast, clock, writerId: 'app' });
  let wrote = false;
  // us-east answers scans one event-loop turn late, so eu-west → us-east reaches the walk first and
  // us-east → eu-west joins it; the app's write lands right after the walk has read us-east.
  const slowUsEast = interceptReplicaStore(usEast, {
    scan: async (...args) => {
      await new Promise((resolve) => setImmediate(resolve));
      return usEast.scan(...args);
    },
    digest: async (...args) => {
      const digests = await usEast.digest(...args);
      if (!wrote) {
        wrote = true;
        await app.put('late', 1);
      }
      return digests;
    },
  });
  sync = new CrossRegionSync({ regions: [{ id: 'us-east', store: slowUsEast }, { id: 'eu-west', store: euWest }], clock });

  for (let round = 0; round < 3; round++) await sync.syncNow();
  expect(wrote).toBe(true);
  expect((await euWest.getMany(['late']))[0]?.value).toBe(1);
});
