import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import {
  MeridianError,
  noopMetrics,
  systemClock,
  type Clock,
  type Disposable,
  type ErrorEvents,
  type EventSource,
  type Listener,
  type SessionRef,
  type TimerHandle,
  type WithErrorEvent,
} from '@meridian/core';
import { parseOptions, TokenBucket, TypedEmitter } from '@meridian/core/spi';
import PQueue from 'p-queue';
import { decodeCheckpoint, encodeCheckpoint, encodeRoundManifest } from './checkpoint-envelope.js';
import { checkpointKey, checkpointRoundKey } from './checkpoint-keys.js';
import { checkpointRecorder, type CheckpointRecorder } from './checkpoint-metrics.js';
import { checkpointerOptionsSchema, type CheckpointSession, type ParsedCheckpointerOptions, type SessionCheckpointerOptions } from './checkpoint-options.js';
import type { CheckpointerEvents, CheckpointerStatus, CheckpointFailedEvent, CheckpointRound, SessionCheckpoint, SessionCheckpointStatus } from './checkpoint-types.js';
import { replaceCheckpoint, StoreFailure } from './checkpoint-writer.js';

/** What this instance knows of a session's current checkpoint. */
interface Known extends SessionCheckpointStatus {
  etag: string;
  stateSha256?: string;
}

/** `identity`: the version or state hash the stored checkpoint holds, when this round found it current. */
type Outcome = { result: 'written'; bytes: number; identity: string | number } | { result: 'unchanged'; identity?: string | number };

class StageFailure extends Error {
  constructor(
    readonly stage: CheckpointFailedEvent['stage'],
    readonly error: unknown,
  ) {
    super((error as Error)?.message ?? String(error), { cause: error });
  }
}

/**
 * Keeps one current checkpoint per active session in the snapshot store, so a
 * session can be recovered when its region dies. Every `checkpointIntervalMillis`
 * it writes the sessions that changed since their last checkpoint (by the
 * adapter's `version`, or by the SHA-256 of a snapshot when the adapter has
 * none), encoded like migration snapshots (encrypted, checksummed), bounded in
 * concurrency and bytes per second. Rounds never overlap and never throw: a
 * store that is down is reported (`checkpoint:store-unavailable`), the round's
 * sessions are counted as failed or skipped and left untouched, and the next
 * round tries again.
 */
export class SessionCheckpointer implements EventSource<WithErrorEvent<CheckpointerEvents>> {
  declare readonly '~events'?: WithErrorEvent<CheckpointerEvents>;
  readonly #o: ParsedCheckpointerOptions;
  readonly #clock: Clock;
  readonly #events = new TypedEmitter<CheckpointerEvents>();
  readonly #recorder: CheckpointRecorder;
  readonly #bucket: TokenBucket | undefined;
  readonly #known = new Map<string, Known>();
  /** Per region, what its last manifest written by this instance says: session → [identity, confirmed at]. */
  readonly #manifests = new Map<string, Map<string, [string | number, number]>>();
  readonly #stop = new AbortController();
  #timer: TimerHandle | undefined;
  #nextRoundAt: number | undefined;
  #round: Promise<CheckpointRound> | undefined;
  #rounds = 0;
  #lastRound: CheckpointRound | undefined;
  #started = false;
  #closing: Promise<void> | undefined;

  constructor(options: SessionCheckpointerOptions) {
    this.#o = parseOptions(checkpointerOptionsSchema, options, 'SessionCheckpointer options');
    this.#clock = this.#o.clock ?? systemClock;
    this.#recorder = checkpointRecorder(this.#o.metrics ?? noopMetrics);
    const rate = this.#o.maxBytesPerSecond;
    this.#bucket = rate === undefined ? undefined : new TokenBucket({ ratePerSecond: rate, burst: rate, clock: this.#clock });
    // One listener per session in flight (`concurrency` of them): not a leak.
    setMaxListeners(0, this.#stop.signal);
  }

  on<K extends keyof WithErrorEvent<CheckpointerEvents> & string>(name: K, listener: Listener<WithErrorEvent<CheckpointerEvents>[K]>): Disposable {
    return this.#events.on(name, listener);
  }

  once<K extends keyof WithErrorEvent<CheckpointerEvents> & string>(name: K, listener: Listener<WithErrorEvent<CheckpointerEvents>[K]>): Disposable {
    return this.#events.once(name, listener);
  }

  /** Schedules rounds: the first one interval from now, then every interval. Idempotent; SHUT_DOWN after `close()`. */
  async start(): Promise<void> {
    if (this.#closing) throw new MeridianError('SHUT_DOWN', 'SessionCheckpointer was closed');
    if (this.#started) return;
    this.#started = true;
    this.#schedule(this.#clock.now() + this.#o.checkpointIntervalMillis);
  }

  /** Stops scheduling, aborts the round in flight and waits for it. Idempotent; awaitable. Checkpoints stay in the store. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#nextRoundAt = undefined;
    this.#stop.abort(new MeridianError('SHUT_DOWN', 'SessionCheckpointer was closed'));
    await this.#round;
  }

  /** Runs a round now (or joins the one in progress) and returns its counts; never rejects for a session's failure. */
  checkpointNow(): Promise<CheckpointRound> {
    if (this.#closing) return Promise.reject(new MeridianError('SHUT_DOWN', 'SessionCheckpointer was closed'));
    this.#round ??= this.#runRound().finally(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  /** The last round, the next one, and the last checkpoint of each session this instance wrote. */
  status(): CheckpointerStatus {
    return {
      running: this.#started && !this.#closing,
      rounds: this.#rounds,
      inRound: this.#round !== undefined,
      ...(this.#nextRoundAt === undefined ? {} : { nextRoundAt: this.#nextRoundAt }),
      ...(this.#lastRound ? { lastRound: { ...this.#lastRound } } : {}),
      sessions: [...this.#known.values()].map(({ sessionId, region, takenAt, version, bytes }) => ({
        sessionId,
        region,
        takenAt,
        ...(version === undefined ? {} : { version }),
        bytes,
      })),
    };
  }

  /**
   * The session's current checkpoint, decoded and verified, or undefined when it
   * has none. A tampered or truncated checkpoint, or one encrypted with a key
   * no longer configured in the codec, is refused with SNAPSHOT_CORRUPT;
   * a store that cannot be reached is STORE_UNAVAILABLE.
   */
  async latest<T = unknown>(sessionId: string, options: { signal?: AbortSignal } = {}): Promise<SessionCheckpoint<T> | undefined> {
    const stored = await this.#o.store.get(checkpointKey(sessionId), options.signal ? { signal: options.signal } : {});
    return stored ? (decodeCheckpoint(this.#o.codec, stored.bytes, sessionId) as SessionCheckpoint<T>) : undefined;
  }

  #schedule(at: number): void {
    this.#nextRoundAt = at;
    this.#timer = this.#clock.setTimeout(() => void this.#tick(at), Math.max(0, at - this.#clock.now()));
  }

  async #tick(scheduledAt: number): Promise<void> {
    this.#timer = undefined;
    try {
      await this.checkpointNow();
    } catch {
      // checkpointNow only rejects once closed.
    }
    if (this.#closing) return;
    // Fixed rate; a round slower than the interval skips the ticks it overran (rounds never overlap).
    const interval = this.#o.checkpointIntervalMillis;
    const now = this.#clock.now();
    const next = scheduledAt + interval * Math.max(1, Math.floor((now - scheduledAt) / interval) + 1);
    this.#schedule(next);
  }

  async #runRound(): Promise<CheckpointRound> {
    const startedAt = this.#clock.now();
    const counts = { written: 0, unchanged: 0, failed: 0, skipped: 0, bytes: 0 };
    let sessions: CheckpointSession[] = [];
    try {
      sessions = this.#o.source.sessions().filter((s) => (s.state ?? 'active') === 'active');
    } catch (error) {
      // A source that throws is a host bug: reported on `error` (as a throwing listener is), the round counts no session.
      (this.#events as unknown as TypedEmitter<ErrorEvents>).emit('error', { event: 'checkpoint:completed', error });
    }
    const tracked = new Set(sessions.map((s) => s.id));
    for (const id of this.#known.keys()) if (!tracked.has(id)) this.#known.delete(id);
    let storeDown: StoreFailure | undefined;
    const confirmed = new Map<string, Record<string, string | number>>();
    const unreached = new Map<string, string[]>();
    const queue = new PQueue({ concurrency: this.#o.concurrency });
    for (const session of sessions) {
      void queue.add(async () => {
        if (storeDown || this.#stop.signal.aborted) {
          counts.skipped++;
          return;
        }
        try {
          const outcome = await this.#checkpointOne(session);
          counts[outcome.result]++;
          if (outcome.result === 'written') counts.bytes += outcome.bytes;
          if (outcome.identity !== undefined) {
            let region = confirmed.get(session.region);
            if (!region) confirmed.set(session.region, (region = {}));
            region[session.id] = outcome.identity;
          }
        } catch (error) {
          if (this.#stop.signal.aborted) {
            counts.skipped++;
            return;
          }
          counts.failed++;
          let region = unreached.get(session.region);
          if (!region) unreached.set(session.region, (region = []));
          region.push(session.id);
          const failure = error instanceof StageFailure ? error : new StageFailure('adapter', error);
          if (failure.error instanceof StoreFailure) storeDown ??= failure.error;
          const cause = failure.error instanceof StoreFailure ? failure.error.error : failure.error;
          const code = (cause as { code?: unknown })?.code;
          this.#events.emit('checkpoint:failed', {
            sessionId: session.id,
            region: session.region,
            stage: failure.stage,
            ...(typeof code === 'string' ? { code } : {}),
            error: (cause as Error)?.message ?? String(cause),
          });
        }
      });
    }
    await queue.onIdle();
    if (!storeDown && !this.#stop.signal.aborted) await this.#writeManifests(confirmed, unreached, startedAt);
    const round: CheckpointRound = { startedAt, durationMillis: this.#clock.now() - startedAt, sessions: sessions.length, ...counts };
    this.#rounds++;
    this.#lastRound = round;
    this.#recorder.round(counts);
    if (storeDown) {
      const code = (storeDown.error as { code?: unknown })?.code;
      const next = this.#started && !this.#closing ? this.#nextRoundAfter(startedAt) : undefined;
      this.#events.emit('checkpoint:store-unavailable', {
        ...(typeof code === 'string' ? { code } : {}),
        error: storeDown.message,
        failed: counts.failed,
        skipped: counts.skipped,
        ...(next === undefined ? {} : { nextRoundAt: next }),
      });
    }
    this.#events.emit('checkpoint:completed', { ...round });
    return round;
  }

  /**
   * One small manifest per region per round: which checkpoints were still the
   * sessions' state when the round started. Without it a recovery could only
   * date an unchanged session's state by when its checkpoint was written,
   * overstating its staleness. Best effort: a failed write leaves the previous
   * manifest, which still tells the truth about its own round.
   */
  async #writeManifests(confirmed: Map<string, Record<string, string | number>>, unreached: Map<string, string[]>, startedAt: number): Promise<void> {
    await Promise.all(
      [...confirmed].map(async ([region, sessions]) => {
        // A session this round could not reach keeps the confirmation an earlier manifest gave it.
        const previous = this.#manifests.get(region);
        const earlier: Record<string, [string | number, number]> = {};
        for (const id of unreached.get(region) ?? []) {
          const known = previous?.get(id);
          if (known) earlier[id] = known;
        }
        const manifest = { region, startedAt, confirmed: sessions, ...(Object.keys(earlier).length > 0 ? { earlier } : {}) };
        try {
          await this.#o.store.put(checkpointRoundKey(region), encodeRoundManifest(this.#o.codec, manifest), { signal: this.#stop.signal });
        } catch {
          // Kept: the previous round's manifest, and this instance's memory of it.
          return;
        }
        const written = new Map<string, [string | number, number]>(Object.entries(earlier));
        for (const [id, identity] of Object.entries(sessions)) written.set(id, [identity, startedAt]);
        this.#manifests.set(region, written);
      }),
    );
  }

  #nextRoundAfter(startedAt: number): number {
    const scheduled = this.#nextRoundAt ?? startedAt;
    const interval = this.#o.checkpointIntervalMillis;
    const now = this.#clock.now();
    return scheduled + interval * Math.max(1, Math.floor((now - scheduled) / interval) + 1);
  }

  async #checkpointOne(session: CheckpointSession): Promise<Outcome> {
    const { adapter, codec, store } = this.#o;
    const known = this.#known.get(session.id);
    const ref: SessionRef = { id: session.id, region: session.region, metadata: { ...session.metadata } };
    return this.#bounded(async (signal) => {
      let version: string | number | undefined;
      if (adapter.version) {
        version = await stage('adapter', () => adapter.version!(ref, { signal }));
        if (known && known.region === session.region && known.version === version) return { result: 'unchanged', identity: version };
      }
      const takenAt = this.#clock.now();
      const state = await stage('adapter', () => adapter.snapshot(ref, { signal }));
      let stateSha256: string | undefined;
      if (version === undefined) {
        stateSha256 = createHash('sha256').update(JSON.stringify(state) ?? 'undefined').digest('hex');
        if (known && known.region === session.region && known.stateSha256 === stateSha256) return { result: 'unchanged', identity: stateSha256 };
      }
      const bytes = await stage('encode', async () =>
        encodeCheckpoint(codec, { sessionId: session.id, region: session.region, ...(version === undefined ? {} : { version }), takenAt, ...(stateSha256 ? { stateSha256 } : {}), state }),
      );
      if (this.#bucket) await stage('store', () => this.#bucket!.take(bytes.length, signal));
      const written = await stage('store', () => replaceCheckpoint(store, codec, checkpointKey(session.id), bytes, takenAt, known?.etag, signal));
      this.#known.set(session.id, {
        sessionId: session.id,
        region: session.region,
        takenAt: written.takenAt,
        ...(version === undefined ? {} : { version }),
        ...(stateSha256 ? { stateSha256 } : {}),
        bytes: bytes.length,
        etag: written.etag,
      });
      // A newer checkpoint by another instance: this round cannot vouch for it.
      return written.written ? { result: 'written', bytes: bytes.length, identity: (version ?? stateSha256)! } : { result: 'unchanged' };
    });
  }

  /** Runs one session's checkpoint with a signal aborted by `close()` or after `timeoutMillis` on the clock. */
  async #bounded<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const timeoutMillis = this.#o.timeoutMillis;
    // One controller per session, fed by close() and the timer (AbortSignal.any costs more per call, and a round makes thousands).
    const controller = new AbortController();
    const stop = this.#stop.signal;
    const onStop = () => controller.abort(stop.reason);
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
    const timer = this.#clock.setTimeout(() => controller.abort(new MeridianError('TIMEOUT', `checkpoint took longer than ${timeoutMillis} ms`, { details: { timeoutMillis } })), timeoutMillis);
    const signal = controller.signal;
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(new StageFailure('adapter', signal.reason));
      if (signal.aborted) fail();
      else signal.addEventListener('abort', fail, { once: true });
    });
    aborted.catch(() => undefined);
    try {
      return await Promise.race([fn(signal), aborted]);
    } finally {
      timer.cancel();
      stop.removeEventListener('abort', onStop);
    }
  }
}

async function stage<T>(name: CheckpointFailedEvent['stage'], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof StageFailure) throw error;
    throw new StageFailure(name, error);
  }
}
