import type { ReplicaWriter } from '@meridian/core';

/** Writes that keep arriving while the fault is on, as an application's would. */
export interface WriteWorkload {
  /** Writes the regions acknowledged: key → value. Only these count. */
  readonly acked: Map<string, unknown>;
  /** Writes refused or timed out (not acknowledged: the app saw the error). */
  readonly refused: () => number;
  /** Stops writing; resolves once the write in flight has settled. */
  pause(): Promise<void>;
  /** Writes again. */
  resume(): void;
}

/**
 * Every `everyMillis`, one write through the in-region writer of a region that
 * has traffic (round robin over the regions `targets()` names). A write counts
 * only once its region acknowledged it; a region that is down refuses it.
 */
export function startWriteWorkload(options: {
  writers: Record<string, ReplicaWriter>;
  targets: () => string[];
  everyMillis?: number;
  timeoutMillis?: number;
  signal: AbortSignal;
}): WriteWorkload {
  const acked = new Map<string, unknown>();
  let refused = 0;
  let n = 0;
  let paused = false;
  let inFlight: Promise<void> = Promise.resolve();
  const every = options.everyMillis ?? 25;
  const loop = async (): Promise<void> => {
    while (!options.signal.aborted) {
      if (!paused) {
        const targets = options.targets();
        const region = targets[n % Math.max(1, targets.length)];
        const key = `w:${String(n).padStart(5, '0')}`;
        const value = { n, region };
        n++;
        if (region) {
          inFlight = options.writers[region]!.put(key, value, { signal: AbortSignal.timeout(options.timeoutMillis ?? 500) }).then(
            () => void acked.set(key, value),
            () => void refused++,
          );
          await inFlight;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, every));
    }
  };
  void loop();
  return {
    acked,
    refused: () => refused,
    async pause() {
      paused = true;
      await inFlight;
    },
    resume() {
      paused = false;
    },
  };
}
