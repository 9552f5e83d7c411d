import { randomUUID } from 'node:crypto';
import {
  MeridianError,
  MemoryLeaseStore,
  noopMetrics,
  sleep,
  systemClock,
  type BatchMigrationResult,
  type Clock,
  type Disposable,
  type EventSource,
  type LeaseStore,
  type Listener,
  type MigrateOptions,
  type MigrationResult,
  type Migrator,
  type Operation,
  type SessionRef,
  type WithErrorEvent,
} from '@meridian/core';
import { OperationHandle, parseOptions, runSteps, TypedEmitter, type Step } from '@meridian/core/spi';
import PQueue from 'p-queue';
import { migrationRecorder, type MigrationRecorder } from './migration-metrics.js';
import { migratorOptionsSchema, type SessionMigratorOptions } from './migrator-options.js';
import type { MigrationProgress, MigrationStatistics, MigratorEvents, SessionInfo } from './migrator-types.js';

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const DURATIONS_KEPT = 10_000;

/** Options of one migration. */
export interface SessionMigrateOptions extends MigrateOptions {
  /** Carry the session's state (default true); false starts it empty in the target, as the seed's option did. */
  preserveState?: boolean;
  /** Idempotency key: calling again with the same id returns the same operation. Default a random UUID. */
  migrationId?: string;
}

/** Options of {@link SessionMigrator.evacuate}. */
export interface EvacuateOptions {
  /** A region id, or `nearest-healthy` (the router places each session by its `metadata.clientIp`). Default `nearest-healthy`. */
  to?: string;
  /** Parallel migrations. Default the migrator's `concurrency`. */
  concurrency?: number;
  /** Stops starting new migrations; running ones roll back. */
  signal?: AbortSignal;
  /** With `nearest-healthy`: only regions whose residency admits each session's client country. Default false. */
  residency?: boolean;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Moves live sessions between regions without losing one: snapshot → suspend →
 * transfer → restore (integrity verified) → activate → discard the source.
 * Every step is undone on failure, in reverse, so the session ends active in its
 * source region; the target is suspended and discarded before the source
 * resumes, so a session is never active in two regions. If the source cannot
 * resume (it died), the session stays suspended and its snapshot is kept.
 */
export class SessionMigrator implements Migrator, EventSource<WithErrorEvent<MigratorEvents>> {
  declare readonly '~events'?: WithErrorEvent<MigratorEvents>;
  readonly #o: ReturnType<typeof migratorOptionsSchema.parse>;
  readonly #clock: Clock;
  readonly #locks: LeaseStore;
  readonly #events = new TypedEmitter<MigratorEvents>();
  readonly #sessions = new Map<string, SessionInfo>();
  readonly #running = new Map<string, OperationHandle<MigrationResult, MigrationProgress>>();
  readonly #byMigrationId = new Map<string, OperationHandle<MigrationResult, MigrationProgress>>();
  readonly #durations: number[] = [];
  readonly #recorder: MigrationRecorder;
  /** Every region a session has been in or that the options list: listed by `statistics()` even when empty. */
  readonly #knownRegions = new Set<string>();
  #migrated = 0;
  #failed = 0;
  #bytesMoved = 0;
  #closing: Promise<void> | undefined;

  constructor(options: SessionMigratorOptions) {
    this.#o = parseOptions(migratorOptionsSchema, options, 'SessionMigrator options');
    this.#clock = this.#o.clock ?? systemClock;
    this.#recorder = migrationRecorder(this.#o.metrics ?? noopMetrics);
    this.#locks = this.#o.leaseStore ?? new MemoryLeaseStore({ clock: this.#clock });
    for (const region of this.#o.regions ?? []) this.#knownRegions.add(typeof region === 'string' ? region : region.id);
  }

  on<K extends keyof WithErrorEvent<MigratorEvents> & string>(name: K, listener: Listener<WithErrorEvent<MigratorEvents>[K]>): Disposable {
    return this.#events.on(name, listener);
  }

  once<K extends keyof WithErrorEvent<MigratorEvents> & string>(name: K, listener: Listener<WithErrorEvent<MigratorEvents>[K]>): Disposable {
    return this.#events.once(name, listener);
  }

  /**
   * Cancels the migrations in flight (each rolls back, so its session stays
   * active where it was) and waits for them; later migrations and recoveries
   * are refused with SHUT_DOWN. Idempotent; awaitable; listeners stay
   * subscribed and hear the last `session:*` events. The stores stay open.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    const running = [...this.#running.values()];
    for (const handle of running) handle.cancel('the session migrator was closed');
    await Promise.allSettled(running.map((handle) => handle.done));
  }

  #assertOpen(): void {
    if (this.#closing) throw new MeridianError('SHUT_DOWN', 'SessionMigrator was closed');
  }

  /** Starts tracking a session active in `region`. */
  register(session: { id: string; region: string; metadata?: Record<string, string> }): SessionInfo {
    if (typeof session?.id !== 'string' || !ID.test(session.id)) throw invalidArgument('id', session?.id, `must match ${ID.source}`);
    if (typeof session.region !== 'string' || session.region.length === 0) throw invalidArgument('region', session.region, 'must be a region id');
    if (this.#sessions.has(session.id)) throw invalidArgument('id', session.id, 'is already registered');
    const info: SessionInfo = { id: session.id, region: session.region, state: 'active', metadata: { ...session.metadata }, migrations: 0, updatedAt: this.#clock.now() };
    this.#sessions.set(info.id, info);
    this.#knownRegions.add(info.region);
    return { ...info };
  }

  /** Stops tracking a session (it is not touched in its region). */
  unregister(sessionId: string): boolean {
    return this.#sessions.delete(sessionId);
  }

  /** A session, or undefined. */
  getSession(sessionId: string): SessionInfo | undefined {
    const info = this.#sessions.get(sessionId);
    return info ? { ...info } : undefined;
  }

  /** Sessions, all or in one region. */
  sessions(region?: string): SessionInfo[] {
    return [...this.#sessions.values()].filter((s) => region === undefined || s.region === region).map((s) => ({ ...s }));
  }

  /**
   * Moves one session. Throws SESSION_NOT_FOUND for an unknown session and
   * MIGRATION_IN_PROGRESS when it is already moving (here, or in another
   * instance sharing the lease store); the operation rejects with
   * MIGRATION_FAILED after rolling back.
   */
  migrate(sessionId: string, targetRegion: string, options: SessionMigrateOptions = {}): Operation<MigrationResult, MigrationProgress> {
    const known = options.migrationId ? this.#byMigrationId.get(options.migrationId) : undefined;
    if (known) return known;
    this.#assertOpen();
    const session = this.#sessions.get(sessionId);
    if (!session) throw new MeridianError('SESSION_NOT_FOUND', `No registered session "${sessionId}"`, { details: { sessionId } });
    if (typeof targetRegion !== 'string' || targetRegion.length === 0) throw invalidArgument('targetRegion', targetRegion, 'must be a region id');
    if (this.#running.has(sessionId)) throw inProgress(sessionId);
    const migrationId = options.migrationId ?? randomUUID();
    if (!ID.test(migrationId)) throw invalidArgument('migrationId', migrationId, `must match ${ID.source}`);
    const handle = new OperationHandle<MigrationResult, MigrationProgress>(migrationId, 'migration');
    this.#running.set(sessionId, handle);
    this.#byMigrationId.set(migrationId, handle);
    if (this.#byMigrationId.size > DURATIONS_KEPT) this.#byMigrationId.delete(this.#byMigrationId.keys().next().value!);
    return handle.start(async (h) => {
      try {
        return await this.#migrateWithRetries(session, targetRegion, migrationId, options, h);
      } finally {
        this.#running.delete(sessionId);
      }
    });
  }

  /**
   * Brings back a session a failed migration left `suspended` (its source died
   * before it could resume): restores the kept snapshot in `targetRegion` and
   * activates it there. On failure it stays suspended, snapshot still kept.
   */
  async recover(sessionId: string, targetRegion: string, options: { signal?: AbortSignal } = {}): Promise<MigrationResult> {
    this.#assertOpen();
    const session = this.#sessions.get(sessionId);
    if (!session) throw new MeridianError('SESSION_NOT_FOUND', `No registered session "${sessionId}"`, { details: { sessionId } });
    const key = session.pendingSnapshot;
    if (session.state !== 'suspended' || !key) throw invalidArgument('sessionId', sessionId, 'is not suspended with a kept snapshot');
    if (this.#running.has(sessionId)) throw inProgress(sessionId);
    const lock = await this.#locks.acquire(`session:${sessionId}`, `recover-${key}`, this.#o.lockTtlMillis);
    if (!lock) throw inProgress(sessionId);
    const started = this.#clock.now();
    const source = session.region;
    const ref: SessionRef = { id: sessionId, region: source, metadata: session.metadata };
    const signal = options.signal ?? new AbortController().signal;
    const undoCall = { signal: new AbortController().signal };
    try {
      const outcome = await runSteps(
        [
          this.#restoreStep(ref, key, targetRegion, { sessionId }, signal),
          {
            name: 'activate',
            run: async () => {
              await this.#o.adapter.activate(ref, targetRegion, { signal });
              this.#update(session, { state: 'active', region: targetRegion, pendingSnapshot: undefined });
            },
          },
        ],
        signal,
        this.#clock,
        () => undefined,
      );
      if (!outcome.ok) {
        throw new MeridianError('MIGRATION_FAILED', `Recovery of session "${sessionId}" into ${targetRegion} failed at "${outcome.failedStep}"; still suspended, snapshot kept as ${key}`, {
          cause: outcome.error,
          details: { sessionId, failedStep: outcome.failedStep },
        });
      }
      // The dead source may come back holding a suspended copy: remove it if it answers.
      await this.#o.adapter.discard(ref, source, undoCall).catch(() => undefined);
      await this.#o.store.delete(key).catch(() => undefined);
      const durationMillis = this.#clock.now() - started;
      this.#migrated++;
      return { sessionId, from: source, to: targetRegion, durationMillis };
    } finally {
      await this.#locks.release(lock).catch(() => undefined);
    }
  }

  /** Moves several sessions to one region, `concurrency` at a time. */
  async batchMigrate(sessionIds: string[], targetRegion: string, options: { concurrency?: number; signal?: AbortSignal } = {}): Promise<BatchMigrationResult> {
    return this.#batch(
      sessionIds.map((id) => ({ id, to: () => targetRegion })),
      options,
    );
  }

  /** Moves every active session out of `regionId` (drained on the router first, so no new client lands there). */
  async evacuate(regionId: string, options: EvacuateOptions = {}): Promise<BatchMigrationResult> {
    const started = this.#clock.now();
    const sessions = [...this.#sessions.values()].filter((s) => s.region === regionId && s.state === 'active');
    const to = options.to ?? 'nearest-healthy';
    const router = this.#o.router;
    if (to === 'nearest-healthy') {
      if (!router) throw invalidArgument('to', to, 'needs a router in the SessionMigrator options (or name a region)');
      router.setDrained(regionId, true);
    }
    this.#events.emit('region:evacuating', { regionId, sessionCount: sessions.length });
    const result = await this.#batch(
      sessions.map((s) => ({
        id: s.id,
        to: async () => {
          if (to !== 'nearest-healthy') return to;
          const ip = s.metadata.clientIp;
          if (!ip) throw invalidArgument('metadata.clientIp', ip, `session "${s.id}" has no clientIp to route by`);
          return (await router!.route({ ip, requireHealthy: true, ...(options.residency ? { residency: true } : {}) })).region;
        },
      })),
      options,
    );
    this.#events.emit('region:evacuated', { regionId, migrated: result.migrated.length, failed: result.failed.length, durationMillis: this.#clock.now() - started });
    return result;
  }

  /** Counts by state and region (every known region, 0 included), outcomes, latency percentiles, bytes moved. */
  statistics(): MigrationStatistics {
    const byState = { active: 0, migrating: 0, suspended: 0 };
    const byRegion: Record<string, number> = {};
    for (const region of this.#knownRegions) byRegion[region] = 0;
    for (const s of this.#sessions.values()) {
      byState[s.state]++;
      byRegion[s.region] = (byRegion[s.region] ?? 0) + 1;
    }
    const sorted = [...this.#durations].sort((a, b) => a - b);
    return {
      sessions: this.#sessions.size,
      byState,
      byRegion,
      migrated: this.#migrated,
      failed: this.#failed,
      p50Millis: percentile(sorted, 50),
      p95Millis: percentile(sorted, 95),
      bytesMoved: this.#bytesMoved,
    };
  }

  async #batch(items: Array<{ id: string; to: () => string | Promise<string> }>, options: { concurrency?: number; signal?: AbortSignal }): Promise<BatchMigrationResult> {
    const queue = new PQueue({ concurrency: options.concurrency ?? this.#o.concurrency });
    const result: BatchMigrationResult = { migrated: [], failed: [] };
    await Promise.all(
      items.map((item) =>
        queue.add(async () => {
          try {
            if (options.signal?.aborted) throw new MeridianError('ABORTED', 'batch was aborted before this session started');
            const target = await item.to();
            result.migrated.push(await this.migrate(item.id, target, options.signal ? { signal: options.signal } : {}));
          } catch (error) {
            result.failed.push({ sessionId: item.id, error: error instanceof Error ? error.message : String(error) });
          }
        }),
      ),
    );
    return result;
  }

  async #migrateWithRetries(
    session: SessionInfo,
    target: string,
    migrationId: string,
    options: SessionMigrateOptions,
    handle: OperationHandle<MigrationResult, MigrationProgress>,
  ): Promise<MigrationResult> {
    const retries = options.retries ?? this.#o.retries;
    const lock = await this.#locks.acquire(`session:${session.id}`, migrationId, this.#o.lockTtlMillis);
    if (!lock) throw inProgress(session.id);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.#attempt(session, target, migrationId, attempt, options, handle);
        } catch (error) {
          const userStop = options.signal?.aborted || handle.controller.signal.aborted;
          if (attempt > retries || userStop || session.state === 'suspended') throw error;
          await sleep(this.#clock, this.#o.retryBackoffMillis * attempt);
        }
      }
    } finally {
      await this.#locks.release(lock).catch(() => undefined);
    }
  }

  async #attempt(
    session: SessionInfo,
    target: string,
    migrationId: string,
    attempt: number,
    options: SessionMigrateOptions,
    handle: OperationHandle<MigrationResult, MigrationProgress>,
  ): Promise<MigrationResult> {
    const source = session.region;
    if (source === target) throw invalidArgument('targetRegion', target, `session "${session.id}" is already there`);
    const started = this.#clock.now();
    const base = { migrationId, sessionId: session.id, from: source, to: target, attempt };
    this.#events.emit('session:migrating', base);

    const timeoutMillis = options.timeoutMillis ?? this.#o.timeoutMillis;
    const timeout = new AbortController();
    const timer = this.#clock.setTimeout(() => timeout.abort(new MeridianError('TIMEOUT', `migration took longer than ${timeoutMillis} ms`)), timeoutMillis);
    const signals = [handle.controller.signal, timeout.signal, ...(options.signal ? [options.signal] : [])];
    const signal = AbortSignal.any(signals);
    const ref: SessionRef = { id: session.id, region: source, metadata: session.metadata };
    const call = { signal };
    const undoCall = { signal: new AbortController().signal };
    const key = `${session.id}.${migrationId}.${attempt}`;
    let bytes = 0;
    let encoded: Buffer | undefined;

    const steps: Step[] = [
      {
        name: 'snapshot',
        run: async () => {
          const state = options.preserveState === false ? null : await this.#o.adapter.snapshot(ref, call);
          encoded = this.#o.codec.encode({ sessionId: session.id, migrationId, from: source, to: target, state });
          bytes = encoded.length;
          return `${bytes} bytes encoded`;
        },
      },
      {
        name: 'suspend',
        run: async () => {
          await this.#o.adapter.suspend(ref, source, call);
          this.#update(session, { state: 'migrating' });
        },
        undo: async () => {
          await this.#o.adapter.activate(ref, source, undoCall);
          this.#update(session, { state: 'active', region: source });
        },
      },
      {
        name: 'transfer',
        run: async () => {
          await this.#o.store.put(key, encoded!, { ifNoneMatch: '*', signal });
          return `stored as ${key}`;
        },
      },
      this.#restoreStep(ref, key, target, { sessionId: session.id, migrationId }, signal),
      {
        name: 'activate',
        run: async () => {
          await this.#o.adapter.activate(ref, target, call);
          this.#update(session, { state: 'active', region: target });
        },
        undo: async () => {
          // Stop the target serving before the source resumes: never active twice.
          await this.#o.adapter.suspend(ref, target, undoCall);
          this.#update(session, { state: 'migrating', region: source });
        },
      },
      {
        name: 'discard-source',
        run: async () => {
          // The session is live in the target now; a source that cannot discard
          // keeps a suspended copy, which is never served.
          try {
            await this.#o.adapter.discard(ref, source, undoCall);
            return `removed from ${source}`;
          } catch (error) {
            return `suspended copy left in ${source}: ${error instanceof Error ? error.message : String(error)}`;
          }
        },
      },
    ];

    try {
      const outcome = await runSteps(steps, signal, this.#clock, (step) => handle.report({ migrationId, sessionId: session.id, step }));
      if (outcome.ok) {
        await this.#o.store.delete(key).catch(() => undefined);
        const durationMillis = this.#clock.now() - started;
        this.#migrated++;
        this.#bytesMoved += bytes;
        this.#durations.push(durationMillis);
        if (this.#durations.length > DURATIONS_KEPT) this.#durations.shift();
        this.#update(session, { migrations: session.migrations + 1, pendingSnapshot: undefined });
        this.#recorder.ended('completed', durationMillis);
        this.#events.emit('session:migrated', { ...base, durationMillis, bytes, steps: outcome.steps });
        return { sessionId: session.id, from: source, to: target, durationMillis };
      }
      this.#failed++;
      const suspend = outcome.steps.find((s) => s.name === 'suspend');
      let resumedInSource = !suspend || suspend.status === 'rolled-back';
      if (suspend?.status === 'failed') {
        // A suspend that failed may still have landed (an answer lost on the way back): make sure the source serves.
        resumedInSource = await this.#o.adapter.activate(ref, source, undoCall).then(
          () => true,
          () => false,
        );
      }
      if (resumedInSource) {
        await this.#o.store.delete(key).catch(() => undefined);
        this.#update(session, { state: 'active', region: source });
      } else {
        // The source could not resume: keep the session suspended and its snapshot safe for a retry.
        this.#update(session, { state: 'suspended', region: source, ...(encoded ? { pendingSnapshot: key } : {}) });
      }
      const error = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      this.#recorder.ended('failed', this.#clock.now() - started);
      this.#events.emit('session:migration-failed', { ...base, failedStep: outcome.failedStep ?? 'unknown', error, resumedInSource, steps: outcome.steps });
      throw new MeridianError('MIGRATION_FAILED', `Migration of session "${session.id}" ${source} -> ${target} failed at "${outcome.failedStep}": ${error}; ${resumedInSource ? `active again in ${source}` : `left suspended in ${source}, snapshot kept as ${key}`}`, {
        cause: outcome.error,
        details: { sessionId: session.id, migrationId, failedStep: outcome.failedStep, resumedInSource, steps: outcome.steps },
      });
    } finally {
      timer.cancel();
    }
  }

  /**
   * Reads a snapshot back from the store, verifies it (codec: checksum and
   * authentication; here: it is this session's, from this migration), and
   * creates the session suspended in `target`. Undo discards it there.
   */
  #restoreStep(ref: SessionRef, key: string, target: string, identity: { sessionId: string; migrationId?: string }, signal: AbortSignal): Step {
    return {
      name: 'restore',
      run: async () => {
        const stored = await this.#o.store.get(key, { signal });
        if (!stored) throw new MeridianError('SNAPSHOT_CORRUPT', `snapshot ${key} is missing from the store`);
        const decoded = this.#o.codec.decode<{ sessionId: string; migrationId: string; state: unknown }>(stored.bytes);
        const mismatch = decoded.sessionId !== identity.sessionId || (identity.migrationId !== undefined && decoded.migrationId !== identity.migrationId);
        if (mismatch) throw new MeridianError('SNAPSHOT_CORRUPT', `snapshot ${key} belongs to another session or migration`);
        await this.#o.adapter.restore(ref, target, decoded.state, { signal });
        return 'integrity verified (checksum, authentication, identity)';
      },
      undo: async () => {
        await this.#o.adapter.discard(ref, target, { signal: new AbortController().signal });
      },
    };
  }

  #update(session: SessionInfo, change: Partial<SessionInfo>): void {
    Object.assign(session, change, { updatedAt: this.#clock.now() });
    if (change.region !== undefined) this.#knownRegions.add(change.region);
    if (change.pendingSnapshot === undefined && 'pendingSnapshot' in change) delete session.pendingSnapshot;
  }
}

function invalidArgument(field: string, value: unknown, why: string): MeridianError {
  return new MeridianError('INVALID_ARGUMENT', `Invalid ${field} ${JSON.stringify(value)}: ${why}`, { details: { field } });
}

function inProgress(sessionId: string): MeridianError {
  return new MeridianError('MIGRATION_IN_PROGRESS', `Session "${sessionId}" is already being migrated`, { details: { sessionId } });
}
