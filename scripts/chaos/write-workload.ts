import type { ReplicaWriter } from '@meridian/core';

/** Writes that keep arriving while the fault is on, as an application's would. */
export interface WriteWorkload {
  /** Writes the regions acknowledged: key → value. Only these count. */
  readonly acked: Map<string, unknown>;
  /** Writes refused or timed out (not acknowledged: the app saw the error). */
  readonly refused: () => number;
  /** Stops writing; resolves once the writes in flight have settled. */
  pause(): Promise<void>;
  /** Writes again. */
  resume(): void;
}

/**
 * `concurrency` writers (default 1), each writing every `everyMillis` through
 * the in-region writer of a region that has traffic (round robin over the
 * regions `targets()` names), as that many app instances would. A write counts
 * only once its region acknowledged it; a region that is down refuses it.
 */
export function startWriteWorkload(options: {
  writers: Record<string, ReplicaWriter>;
  targets: () => string[];
  everyMillis?: number;
  timeoutMillis?: number;
  concurrency?: number;
  signal: AbortSignal;
}): WriteWorkload {
  const acked = new Map<string, unknown>();
  let refused = 0;
  let n = 0;
  let paused = false;
  const inFlight = new Set<Promise<void>>();
  const every = options.everyMillis ?? 25;
  const sleep = (ms: number): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, ms));
  const loop = async (startAfterMillis: number): Promise<void> => {
    await sleep(startAfterMillis);
    while (!options.signal.aborted) {
      if (!paused) {
        const targets = options.targets();
        const region = targets[n % Math.max(1, targets.length)];
        const key = `w:${String(n).padStart(5, '0')}`;
        const value = { n, region };
        n++;
        if (region) {
          const write = options.writers[region]!.put(key, value, { signal: AbortSignal.timeout(options.timeoutMillis ?? 500) }).then(
            () => void acked.set(key, value),
            () => void refused++,
          );
          inFlight.add(write);
          await write;
          inFlight.delete(write);
        }
      }
      await sleep(every);
    }
  };
  // Spread over one period, so the writers do not all fire on the same tick.
  const writers = options.concurrency ?? 1;
  for (let i = 0; i < writers; i++) void loop((i * every) / writers);
  return {
    acked,
    refused: () => refused,
    async pause() {
      paused = true;
      await Promise.all(inFlight);
    },
    resume() {
      paused = false;
    },
  };
}
