import { runLeaseStoreConformance } from '@meridian/testkit';
import { ManualClock } from '../clock/manual-clock.js';
import { MemoryLeaseStore } from './memory-lease-store.js';

runLeaseStoreConformance('MemoryLeaseStore', async () => {
  const clock = new ManualClock(1_000);
  return { store: new MemoryLeaseStore({ clock }), advance: async (ms) => clock.advance(ms) };
});
