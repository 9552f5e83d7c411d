import { findLeakedProcesses, startAzurite, type Azurite, type AzuriteOptions } from '@meridian/testkit';
import { afterAll, beforeAll, expect } from 'vitest';

let n = 0;

/** Starts one Azurite for the calling test file and stops it after (checking that no process is left). */
export function useAzurite(options: Omit<AzuriteOptions, 'resolveFrom'> = {}): { readonly azurite: Azurite; container(): string } {
  let azurite: Azurite | undefined;
  const pids: number[] = [];
  beforeAll(async () => {
    azurite = await startAzurite({ ...options, resolveFrom: import.meta.url });
    pids.push(azurite.pid!);
  }, 30_000);
  afterAll(async () => {
    await azurite?.stop();
    expect(await findLeakedProcesses(pids)).toEqual([]);
  });
  return {
    get azurite() {
      return azurite!;
    },
    /** A fresh container name per fixture, so tests never see each other's blobs. */
    container: () => `t${process.pid}-${++n}-${Date.now().toString(36)}`,
  };
}
