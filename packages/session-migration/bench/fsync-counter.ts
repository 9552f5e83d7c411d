// Shared by migrations.bench.ts and stores.bench.ts: both report fsyncs per round.
import { open } from 'node:fs/promises';

/** Counts every fsync and fdatasync made through a FileHandle in this process (directory fsyncs too). */
export async function countFsyncs(): Promise<() => number> {
  const probe = await open('/dev/null', 'r');
  const proto = Object.getPrototypeOf(probe) as { sync(): Promise<void>; datasync(): Promise<void> };
  await probe.close();
  let count = 0;
  for (const method of ['sync', 'datasync'] as const) {
    const real = proto[method];
    proto[method] = function (this: typeof proto) {
      count++;
      return real.call(this);
    };
  }
  return () => count;
}
