import { systemClock, type Clock, type TimerHandle } from '@meridian/core';
import type { SessionMigrator } from '@meridian/session-migration';

/** Options of {@link SnapshotSweeper}. */
export interface SnapshotSweeperOptions {
  migrator: Pick<SessionMigrator, 'sweepSnapshots'>;
  /** Time between the end of one sweep and the start of the next. */
  intervalMillis: number;
  /** Only snapshots written at least this long ago: longer than any move (the agent passes twice its timeout). */
  olderThanMillis: number;
  log: (line: string) => void;
  clock?: Clock;
}

/**
 * Removes, on a timer while the agent runs, the migration snapshots no
 * session's record names: those whose delete a store outage refused at the
 * end of a move, which the sweep at start would otherwise leave until the
 * next start. One sweep at a time (the next is armed when one ends); a sweep
 * that fails is logged and tried again at the next tick; `close` stops the
 * timer and waits for a sweep in progress, whose deletes it aborts.
 */
export class SnapshotSweeper {
  readonly #o: Required<Pick<SnapshotSweeperOptions, 'clock'>> & SnapshotSweeperOptions;
  readonly #stop = new AbortController();
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;

  constructor(options: SnapshotSweeperOptions) {
    this.#o = { ...options, clock: options.clock ?? systemClock };
  }

  /** Arms the first sweep, `intervalMillis` from now. */
  start(): void {
    if (this.#stop.signal.aborted || this.#timer) return;
    this.#arm();
  }

  /** Stops the timer; resolves once a sweep in progress has ended. */
  async close(): Promise<void> {
    this.#stop.abort();
    this.#timer?.cancel();
    await this.#running;
  }

  #arm(): void {
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#running = this.#sweep().finally(() => {
        this.#running = undefined;
        if (!this.#stop.signal.aborted) this.#arm();
      });
    }, this.#o.intervalMillis);
  }

  #sweep(): Promise<void> {
    return sweepAndLog(this.#o.migrator, this.#o.olderThanMillis, this.#o.log, 'no session names', this.#stop.signal);
  }
}

/**
 * One sweep of the migration snapshots no record names, written at least
 * `olderThanMillis` ago, logged as `sessions: N migration snapshots WHOSE
 * removed` with what it left for the next sweep (failed deletes, `maxDeletes`).
 * Never throws: a store that cannot be listed is logged (unless `signal` was
 * aborted, which is a stop, not a failure).
 */
export async function sweepAndLog(migrator: Pick<SessionMigrator, 'sweepSnapshots'>, olderThanMillis: number, log: (line: string) => void, whose: string, signal?: AbortSignal): Promise<void> {
  try {
    const swept = await migrator.sweepSnapshots({ olderThanMillis, ...(signal ? { signal } : {}) });
    if (swept.deleted + swept.failed + swept.remaining === 0) return;
    const later = swept.failed + swept.remaining;
    log(`sessions: ${swept.deleted} migration snapshots ${whose} removed${later > 0 ? `, ${later} left for the next sweep` : ''}`);
  } catch (error) {
    if (signal?.aborted) return;
    log(`sessions: cannot sweep the migration snapshots ${whose}: ${(error as Error).message}`);
  }
}
