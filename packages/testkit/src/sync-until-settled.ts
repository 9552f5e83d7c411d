import type { CrossRegionSync } from '@meridian/core';

/** Options of {@link syncUntilSettled}. */
export interface SyncUntilSettledOptions {
  /** Runs before each round (rescan the directory stores, say). */
  beforeRound?: () => Promise<void>;
  /** Rounds at most. Default 20. */
  maxRounds?: number;
  /** Lines added to the error when it gives up (what each region still waits for, say). */
  describe?: () => string[];
}

/**
 * Runs rounds of `sync` (on its own clock, a real one) until one in which
 * every pair ran and moved nothing; resolves with that round's number. A pair
 * backing off after a failed round is not in the round's report: such a round
 * settles nothing, and the next waits 250 ms of its backoff out. Gives up after
 * `maxRounds`, naming each pair's last error and `describe()`'s lines.
 */
export async function syncUntilSettled(sync: CrossRegionSync, options: SyncUntilSettledOptions = {}): Promise<number> {
  const maxRounds = options.maxRounds ?? 20;
  const pairs = sync.status().pairs.length;
  for (let round = 1; round <= maxRounds; round++) {
    await options.beforeRound?.();
    const report = await sync.syncNow();
    if (report.pairs.length === pairs && report.pairs.every((p) => p.ok && p.records === 0)) return round;
    if (report.pairs.length < pairs) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const errors = sync.status().pairs.flatMap((p) => (p.lastError ? [`${p.from}→${p.to}: ${p.lastError.message}`] : []));
  const lines = [...errors, ...(options.describe?.() ?? [])];
  throw new Error(`not settled in ${maxRounds} rounds; ${lines.join('; ') || 'no error, nothing else to say'}`);
}
