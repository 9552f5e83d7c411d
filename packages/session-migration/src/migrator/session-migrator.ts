import { randomUUID } from 'node:crypto';
import {
  MeridianError,
  MemoryLeaseStore,
  MemorySessionRegistry,
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
  type SessionAdapter,
  type SessionRef,
  type SessionRegistry,
  type WithErrorEvent,
} from '@meridian/core';
import { failureKind, OperationHandle, parseOptions, runSteps, TypedEmitter, type Step } from '@meridian/core/spi';
import PQueue from 'p-queue';
import { migrationRecorder, type MigrationRecorder } from './migration-metrics.js';
import { checkpointKey } from '../checkpoint/checkpoint-keys.js';
import { snapshotCreatedAt, snapshotKey } from './migration-keys.js';
import { migratorOptionsSchema, type SessionMigratorOptions } from './migrator-options.js';
import { AdapterBatcher } from './adapter-batcher.js';
import { overlappedTransfer } from './overlapped-transfer.js';
import { envelopeJson, stateJsonOf, type SnapshotIdentity } from './snapshot-envelope.js';
import { RegionRecovery, type ReconcileOptions, type RecoverRegionOptions, type RegionRecoveryResult, type ReconcileResult } from './region-recovery.js';
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

/** Options of {@link SessionMigrator.sweepSnapshots}. */
export interface SweepSnapshotsOptions {
  /** Only snapshots written at least this long ago (by the migrator's clock). Longer than any migration: a good value is a few `timeoutMillis`. */
  olderThanMillis: number;
  /** Most deletes in one run. Default 1000. */
  maxDeletes?: number;
  /** Stops the sweep between deletes. */
  signal?: AbortSignal;
}

/** What one {@link SessionMigrator.sweepSnapshots} run did. */
export interface SweepSnapshotsResult {
  /** Orphaned snapshots removed. */
  deleted: number;
  /** Orphaned snapshots whose delete failed (left for the next run). */
  failed: number;
  /** Orphaned snapshots left for the next run by `maxDeletes`. */
  remaining: number;
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
  /** With `nearest-healthy`: leave the region drained on the router when the evacuation ends. Default false (undrained at the end). */
  keepDrained?: boolean;
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
  readonly #registry: SessionRegistry;
  /** Registry writes in flight, chained per session so they land in order. */
  readonly #writes = new Map<string, Promise<void>>();
  /** Sessions whose last registry write failed: `flush()` writes them again. */
  readonly #unsaved = new Map<string, unknown>();
  readonly #recovery: RegionRecovery;
  /** The forward calls of migrations (suspend, restore, activate, discard), coalesced per region when the adapter batches. */
  readonly #batcher: AdapterBatcher;
  readonly #events = new TypedEmitter<MigratorEvents>();
  readonly #sessions = new Map<string, SessionInfo>();
  readonly #running = new Map<string, OperationHandle<MigrationResult, MigrationProgress>>();
  readonly #byMigrationId = new Map<string, OperationHandle<MigrationResult, MigrationProgress>>();
  readonly #durations: number[] = [];
  readonly #recorder: MigrationRecorder;
  /** Every region a session has been in or that the options list: listed by `statistics()` even when empty. */
  readonly #knownRegions = new Set<string>();
  /** Snapshot keys of attempts in flight: never swept. */
  readonly #inFlight = new Set<string>();
  #migrated = 0;
  #failed = 0;
  #rolledBack = 0;
  #lost = 0;
  #recovered = 0;
  #maxStalenessMillis = 0;
  #bytesMoved = 0;
  #closing: Promise<void> | undefined;

  constructor(options: SessionMigratorOptions) {
    this.#o = parseOptions(migratorOptionsSchema, options, 'SessionMigrator options');
    this.#clock = this.#o.clock ?? systemClock;
    this.#recorder = migrationRecorder(this.#o.metrics ?? noopMetrics);
    this.#locks = this.#o.leaseStore ?? new MemoryLeaseStore({ clock: this.#clock });
    this.#registry = this.#o.registry ?? new MemorySessionRegistry();
    this.#recovery = this.#recoveryHost();
    this.#batcher = new AdapterBatcher(this.#o.adapter, this.#o.batchSize);
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
    const info: SessionInfo = { id: session.id, region: session.region, state: 'active', epoch: 0, metadata: { ...session.metadata }, migrations: 0, updatedAt: this.#clock.now() };
    this.#sessions.set(info.id, info);
    this.#knownRegions.add(info.region);
    this.#persist(info.id);
    return { ...info };
  }

  /** Stops tracking a session (it is not touched in its region) and removes its registry record. */
  unregister(sessionId: string): boolean {
    const had = this.#sessions.delete(sessionId);
    if (had) this.#persist(sessionId);
    return had;
  }

  /**
   * Reads every record of the session registry into this instance (a second
   * control-plane instance calls it when it takes the lease): afterwards it
   * knows, migrates, recovers and counts every session. Records replace this
   * instance's view of the same ids. Returns how many were read.
   */
  async load(options: { signal?: AbortSignal } = {}): Promise<number> {
    this.#assertOpen();
    let after: string | undefined;
    let count = 0;
    for (;;) {
      const page = await this.#registry.list({ limit: 1000, ...(after ? { after } : {}), ...(options.signal ? { signal: options.signal } : {}) });
      for (const record of page.records) {
        if (this.#running.has(record.id)) continue;
        this.#sessions.set(record.id, { ...record, metadata: { ...record.metadata } });
        this.#knownRegions.add(record.region);
        count++;
      }
      if (!page.next) return count;
      after = page.next;
    }
  }

  /**
   * Waits for the registry writes in flight and writes again those that failed
   * (a registry outage); rejects with STORE_UNAVAILABLE naming how many
   * sessions are still unsaved. `register()` returns before its record is
   * written: call this where a second instance must see it.
   */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#writes.values()]);
    for (const id of [...this.#unsaved.keys()]) this.#persist(id);
    await Promise.allSettled([...this.#writes.values()]);
    if (this.#unsaved.size > 0) {
      const ids = [...this.#unsaved.keys()];
      const first = this.#unsaved.get(ids[0]!);
      throw new MeridianError('STORE_UNAVAILABLE', `${ids.length} session record(s) could not be written to the session registry (first: "${ids[0]}"): ${first instanceof Error ? first.message : String(first)}`, {
        cause: first,
        details: { key: ids[0] },
      });
    }
  }

  /** Writes a session's current record (or its removal) to the registry, after the writes before it. */
  #persist(sessionId: string): Promise<void> {
    const previous = this.#writes.get(sessionId) ?? Promise.resolve();
    const write = previous.then(async () => {
      const current = this.#sessions.get(sessionId);
      try {
        if (current) await this.#registry.put({ ...current, metadata: { ...current.metadata } });
        else await this.#registry.delete(sessionId);
        this.#unsaved.delete(sessionId);
      } catch (error) {
        const code = (error as { code?: unknown })?.code;
        if (MeridianError.hasCode(error, 'PRECONDITION_FAILED') && (await this.#follow(sessionId))) {
          // Another instance moved it under a newer epoch: its record wins, this view follows (never written again over it).
          this.#unsaved.delete(sessionId);
          this.#events.emit('registry:error', { sessionId, code: 'PRECONDITION_FAILED', error: `${error instanceof Error ? error.message : String(error)}; this instance now follows the registry's record` });
          return;
        }
        this.#unsaved.set(sessionId, error);
        this.#events.emit('registry:error', { sessionId, ...(typeof code === 'string' ? { code } : {}), error: error instanceof Error ? error.message : String(error) });
      }
    });
    this.#writes.set(sessionId, write);
    void write.finally(() => {
      if (this.#writes.get(sessionId) === write) this.#writes.delete(sessionId);
    });
    return write;
  }

  /** Replaces this instance's view of a session by the registry's record (not while it moves here); true when it did. */
  async #follow(sessionId: string): Promise<boolean> {
    if (this.#running.has(sessionId) || this.#recovery.busy(sessionId)) return false;
    const record = await this.#registry.get(sessionId).catch(() => undefined);
    if (!record) return false;
    this.#sessions.set(sessionId, { ...record, metadata: { ...record.metadata } });
    this.#knownRegions.add(record.region);
    return true;
  }

  /**
   * The commit point of a move: the registry record goes to `target` under the
   * next epoch by compare-and-set on the current one, so two control planes (or
   * one working from a stale view) can never both activate the session.
   * SESSION_FENCED when the registry holds another epoch.
   */
  async #commitMove(session: SessionInfo, target: string, state: SessionInfo['state'] = 'active'): Promise<number> {
    await this.#writes.get(session.id);
    const epoch = session.epoch + 1;
    const record: SessionInfo = { ...session, metadata: { ...session.metadata }, region: target, state, epoch, updatedAt: this.#clock.now() };
    delete record.pendingSnapshot;
    try {
      await this.#registry.put(record, { expectedEpoch: session.epoch });
    } catch (error) {
      if (!MeridianError.hasCode(error, 'PRECONDITION_FAILED')) throw error;
      throw new MeridianError('SESSION_FENCED', `session "${session.id}" was moved by someone else (registry epoch is not ${session.epoch}): not activated in ${target}`, {
        cause: error,
        details: { sessionId: session.id, regionId: target, epoch },
      });
    }
    this.#unsaved.delete(session.id);
    Object.assign(session, { region: target, state, epoch, updatedAt: record.updatedAt });
    delete session.pendingSnapshot;
    this.#knownRegions.add(target);
    return epoch;
  }

  /**
   * Undoes a committed move: the record names `source` again, `migrating`,
   * under a new epoch (epochs never go back). A registry that cannot take it
   * now gets it from `flush()`; this instance's view is right at once.
   */
  async #moveBack(session: SessionInfo, source: string): Promise<void> {
    try {
      await this.#commitMove(session, source, 'migrating');
    } catch {
      this.#update(session, { region: source, state: 'migrating', epoch: session.epoch + 1 });
    }
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
    if (this.#running.has(sessionId) || this.#recovery.busy(sessionId)) throw inProgress(sessionId);
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
    const base = { migrationId: `recover-${key}`, sessionId, from: source, to: targetRegion, attempt: 1 };
    let bytes = 0;
    this.#events.emit('session:migrating', base);
    try {
      const outcome = await runSteps(
        [
          this.#restoreStep(ref, key, targetRegion, { sessionId }, signal, session.epoch + 1, async () => {
            const stored = await this.#o.store.get(key, { signal });
            bytes = stored?.bytes.length ?? 0;
            return stored?.bytes;
          }),
          {
            name: 'activate',
            run: async () => {
              const epoch = await this.#commitMove(session, targetRegion, 'migrating');
              try {
                await this.#o.adapter.activate(ref, targetRegion, { signal, epoch });
              } catch (error) {
                // Back to suspended in the dead source, snapshot still kept, under a new epoch.
                await this.#commitMove(session, source, 'suspended').catch(() => this.#update(session, { region: source, state: 'suspended', epoch: session.epoch + 1 }));
                this.#update(session, { pendingSnapshot: key });
                throw error;
              }
              this.#update(session, { state: 'active' });
            },
          },
        ],
        signal,
        this.#clock,
        () => undefined,
      );
      if (!outcome.ok) {
        const error = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
        this.#failed++;
        this.#recorder.ended('failed', this.#clock.now() - started);
        this.#events.emit('session:migration-failed', { ...base, failedStep: outcome.failedStep ?? 'unknown', error, resumedInSource: false, outcome: 'suspended', steps: outcome.steps });
        throw new MeridianError('MIGRATION_FAILED', `Recovery of session "${sessionId}" into ${targetRegion} failed at "${outcome.failedStep}"; still suspended, snapshot kept as ${key}`, {
          cause: outcome.error,
          details: { sessionId, failedStep: outcome.failedStep },
        });
      }
      // The dead source may come back holding a suspended copy: remove it if it answers.
      await this.#bounded(`discard of session "${sessionId}" in ${source}`, (c) => this.#o.adapter.discard(ref, source, c)).catch(() => undefined);
      await this.#o.store.delete(key).catch(() => undefined);
      // Bookkept as a migration: duration, bytes, metrics, `session:migrated`.
      const durationMillis = this.#clock.now() - started;
      this.#completed(session, durationMillis, bytes);
      this.#events.emit('session:migrated', { ...base, durationMillis, bytes, steps: outcome.steps });
      return { sessionId, from: source, to: targetRegion, durationMillis };
    } finally {
      await this.#locks.release(lock).catch(() => undefined);
    }
  }

  /**
   * Brings back every session of a dead region (SIGKILLed, unreachable) from
   * its latest checkpoint (or a migration snapshot kept for it, if newer):
   * each is restored in its best healthy region (the router by
   * `metadata.clientIp`, with residency if asked, the region drained meanwhile)
   * or in `to`, committed in the registry under the next fencing epoch, and
   * activated there under the per-session lock. Each recovered session reports
   * its staleness; one with no usable checkpoint is reported lost, by id. A
   * snapshot store or target that fails is tried again with backoff until
   * `recoveryTimeoutMillis`; what is still not recovered stays suspended with
   * its checkpoint kept, counted failed, for the next call. Copies the region
   * still holds are discarded now if it answers, else on `reconcileRegion`.
   */
  recoverRegion(regionId: string, options: RecoverRegionOptions = {}): Promise<RegionRecoveryResult> {
    return this.#recovery.recover(regionId, options);
  }

  /**
   * Tells a region that came back which of its copies are stale: copies of
   * sessions now registered elsewhere are discarded, so they can never serve
   * again; copies of sessions still registered there are activated again,
   * under their registered epoch. With `restoreMissing`, sessions registered there that it
   * no longer holds are restored in it from their stored state, or reported lost
   * by id. `autoEvacuate` calls it on `region:healthy`.
   */
  reconcileRegion(regionId: string, options: ReconcileOptions = {}): Promise<ReconcileResult> {
    return this.#recovery.reconcile(regionId, options);
  }

  #recoveryHost(): RegionRecovery {
    return new RegionRecovery({
      clock: this.#clock,
      adapter: this.#o.adapter,
      codec: this.#o.codec,
      store: this.#o.store,
      router: this.#o.router,
      locks: this.#locks,
      lockTtlMillis: this.#o.lockTtlMillis,
      concurrency: this.#o.recoveryConcurrency,
      deadlineMillis: this.#o.recoveryTimeoutMillis,
      timeoutMillis: this.#o.timeoutMillis,
      events: this.#events,
      assertOpen: () => this.#assertOpen(),
      sessions: () => this.#sessions.values(),
      session: (id) => this.#sessions.get(id),
      running: (id) => this.#running.get(id)?.done,
      update: (session, change) => this.#update(session, change),
      commitMove: (session, target, state) => this.#commitMove(session, target, state),
      bounded: (what, call, millis) => this.#bounded(what, call, millis),
      counted: (outcome) => {
        if ('lost' in outcome) {
          this.#lost++;
          return;
        }
        this.#recovered++;
        this.#maxStalenessMillis = Math.max(this.#maxStalenessMillis, outcome.recovered.stalenessMillis);
        this.#bytesMoved += outcome.bytes;
        this.#recorder.ended('completed', outcome.durationMillis);
        const session = this.#sessions.get(outcome.recovered.sessionId);
        if (session) this.#update(session, { migrations: session.migrations + 1 });
      },
      reload: async (id) => {
        const record = await this.#registry.get(id);
        if (!record) return;
        this.#sessions.set(id, { ...record, metadata: { ...record.metadata } });
        this.#knownRegions.add(record.region);
      },
    });
  }

  /** Moves several sessions to one region, `concurrency` at a time. */
  async batchMigrate(sessionIds: string[], targetRegion: string, options: { concurrency?: number; signal?: AbortSignal } = {}): Promise<BatchMigrationResult> {
    return this.#batch(
      sessionIds.map((id) => ({ id, to: () => targetRegion })),
      options,
    );
  }

  /**
   * Moves every active session out of `regionId`. With `nearest-healthy` the
   * region is drained on the router while it runs, so no new client lands
   * there, and undrained when it ends (unless `keepDrained`): the router's
   * health view keeps an unhealthy region out of routes from then on.
   */
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
    let result: BatchMigrationResult;
    try {
      result = await this.#batch(
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
    } finally {
      // Drained for the evacuation only: whether the region takes new clients
      // afterwards is the router's health view's call, not a leftover drain.
      if (to === 'nearest-healthy' && !options.keepDrained) router!.setDrained(regionId, false);
    }
    this.#events.emit('region:evacuated', { regionId, migrated: result.migrated.length, failed: result.failed.length, durationMillis: this.#clock.now() - started });
    return result;
  }

  /**
   * Removes migration snapshots left in the store by deletes that failed (a
   * store outage): those written more than `olderThanMillis` ago, at most
   * `maxDeletes` per run, never one kept for `recover()` by this migrator or
   * used by a migration in flight. Other keys in the store are not touched.
   * Call it on a timer; it reports, it does not throw for a failed delete.
   */
  async sweepSnapshots(options: SweepSnapshotsOptions): Promise<SweepSnapshotsResult> {
    const olderThan = options?.olderThanMillis;
    if (typeof olderThan !== 'number' || !Number.isFinite(olderThan) || olderThan < 0) throw invalidArgument('olderThanMillis', olderThan, 'must be a number >= 0');
    const maxDeletes = options.maxDeletes ?? 1000;
    if (!Number.isInteger(maxDeletes) || maxDeletes < 1) throw invalidArgument('maxDeletes', maxDeletes, 'must be an integer >= 1');
    const kept = new Set<string>(this.#inFlight);
    for (const s of this.#sessions.values()) if (s.pendingSnapshot) kept.add(s.pendingSnapshot);
    const cutoff = this.#clock.now() - olderThan;
    const orphans = (await this.#o.store.list(undefined, options.signal ? { signal: options.signal } : {})).filter((key) => {
      const createdAt = snapshotCreatedAt(key);
      return createdAt !== undefined && createdAt <= cutoff && !kept.has(key);
    });
    const result: SweepSnapshotsResult = { deleted: 0, failed: 0, remaining: Math.max(0, orphans.length - maxDeletes) };
    for (const key of orphans.slice(0, maxDeletes)) {
      if (options.signal?.aborted) {
        result.remaining++;
        continue;
      }
      try {
        await this.#o.store.delete(key, options.signal ? { signal: options.signal } : {});
        result.deleted++;
      } catch {
        result.failed++;
      }
    }
    this.#recorder.swept('deleted', result.deleted);
    this.#recorder.swept('failed', result.failed);
    return result;
  }

  /** Counts by state and region (every known region, 0 included), outcomes, latency percentiles, bytes moved. */
  statistics(): MigrationStatistics {
    const byState = { active: 0, migrating: 0, suspended: 0, lost: 0 };
    const byRegion: Record<string, number> = {};
    for (const region of this.#knownRegions) byRegion[region] = 0;
    for (const s of this.#sessions.values()) {
      byState[s.state]++;
      // A lost session is in no region the migrator can vouch for.
      if (s.state !== 'lost') byRegion[s.region] = (byRegion[s.region] ?? 0) + 1;
    }
    const sorted = [...this.#durations].sort((a, b) => a - b);
    return {
      sessions: this.#sessions.size,
      byState,
      byRegion,
      migrated: this.#migrated,
      failed: this.#failed,
      rolledBack: this.#rolledBack,
      lost: this.#lost,
      recovered: this.#recovered,
      maxStalenessMillis: this.#maxStalenessMillis,
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
    const stop = AbortSignal.any([handle.controller.signal, ...(options.signal ? [options.signal] : [])]);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.#attempt(session, target, migrationId, attempt, options, handle);
        } catch (error) {
          // Counted once per session and call, however many attempts it took.
          const final = attempt > retries || stop.aborted || session.state !== 'active' || !retryable(error);
          if (!final) {
            try {
              await sleep(this.#clock, this.#o.retryBackoffMillis * attempt, stop);
              continue;
            } catch (aborted) {
              this.#failedSession(session);
              throw aborted;
            }
          }
          // Refused input (INVALID_ARGUMENT) never started a migration: not a failed one.
          if (MeridianError.hasCode(error, 'MIGRATION_FAILED')) this.#failedSession(session);
          throw error;
        }
      }
    } finally {
      await this.#locks.release(lock).catch(() => undefined);
    }
  }

  #completed(session: SessionInfo, durationMillis: number, bytes: number): void {
    this.#migrated++;
    this.#bytesMoved += bytes;
    this.#durations.push(durationMillis);
    if (this.#durations.length > DURATIONS_KEPT) this.#durations.shift();
    this.#update(session, { migrations: session.migrations + 1, pendingSnapshot: undefined });
    this.#recorder.ended('completed', durationMillis);
  }

  #failedSession(session: SessionInfo): void {
    this.#failed++;
    if (session.state === 'active') this.#rolledBack++;
  }

  /**
   * Runs an undo or cleanup call bounded by `timeoutMillis` on the clock: its
   * signal aborts then, and an adapter that ignores the signal is given up on.
   */
  async #bounded(what: string, call: (options: { signal: AbortSignal }) => Promise<void>, timeoutMillis = this.#o.timeoutMillis): Promise<void> {
    const controller = new AbortController();
    let timer: { cancel(): void } | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = this.#clock.setTimeout(() => {
        const error = new MeridianError('TIMEOUT', `${what} took longer than ${timeoutMillis} ms`);
        controller.abort(error);
        reject(error);
      }, timeoutMillis);
    });
    try {
      await Promise.race([call({ signal: controller.signal }), expired]);
    } finally {
      timer!.cancel();
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
    const key = snapshotKey(session.id, migrationId, attempt, started);
    this.#inFlight.add(key);
    let bytes = 0;
    let encoded: Buffer | undefined;
    // The store write, started as soon as the snapshot is encoded (see the snapshot step).
    let writing: Promise<unknown> | undefined;
    const identity: SnapshotIdentity = { sessionId: session.id, migrationId, from: source, to: target };
    const adapter = this.#o.adapter;
    // The state as text from the source to the target when the adapter can: never parsed here, nor serialised again.
    const asJson = jsonCapable(adapter);

    const steps: Step[] = [
      {
        name: 'snapshot',
        run: async () => {
          if (asJson) {
            const state = options.preserveState === false ? 'null' : await adapter.snapshotJson!(ref, call);
            encoded = this.#o.codec.encodeJson(envelopeJson(identity, state));
          } else {
            const state = options.preserveState === false ? null : await adapter.snapshot(ref, call);
            encoded = this.#o.codec.encode({ ...identity, state });
          }
          bytes = encoded.length;
          // The durable write (an fsync, for the file store) begins now, beside the suspend, instead of after it:
          // the transfer step waits for it, and reports its failure.
          writing = this.#o.store.put(key, encoded, { ifNoneMatch: '*', signal });
          writing.catch(() => undefined);
          return `${bytes} bytes encoded`;
        },
      },
      {
        name: 'suspend',
        run: async () => {
          await this.#batcher.suspend(ref, source, call);
          // Named in the record from now on (in the same write as the state, so no extra registry write): a
          // control plane that dies before the move commits leaves its successor the freshest state there is, in
          // case the source loses its suspended copy too. Its write may not have landed yet: a recovery that does
          // not find it in the store uses the checkpoint.
          this.#update(session, { state: 'migrating', pendingSnapshot: key });
        },
        undo: async () => {
          await this.#bounded(`activate of session "${session.id}" in ${source}`, (c) => this.#o.adapter.activate(ref, source, { ...c, epoch: session.epoch }));
          this.#update(session, { state: 'active', region: source, pendingSnapshot: undefined });
        },
      },
      ...overlappedTransfer(
        async () => {
          await writing;
          return `stored as ${key}`;
        },
        // The bytes being written, not read back: the codec verifies them here as it would a read; the store's copy
        // is what recover() reads, and the move waits for the store to acknowledge it (durably, for the file store).
        this.#restoreStep(ref, key, target, identity, signal, session.epoch + 1, async () => encoded),
      ),
      {
        name: 'activate',
        run: async () => {
          // The registry first: once it names the target, no other control plane activates the source copy.
          // `migrating` until the target serves: nobody is told it is active there before it is.
          const epoch = await this.#commitMove(session, target, 'migrating');
          try {
            await this.#batcher.activate(ref, target, { ...call, epoch });
          } catch (error) {
            await this.#moveBack(session, source);
            throw error;
          }
          this.#update(session, { state: 'active' });
        },
        undo: async () => {
          // Stop the target serving before the source resumes: never active twice.
          await this.#bounded(`suspend of session "${session.id}" in ${target}`, (c) => this.#o.adapter.suspend(ref, target, c));
          await this.#moveBack(session, source);
        },
      },
      {
        name: 'discard-source',
        run: async () => {
          // The session is live in the target now; a source that cannot discard
          // keeps a suspended copy, which is never served.
          try {
            await this.#bounded(`discard of session "${session.id}" in ${source}`, (c) => this.#batcher.discard(ref, source, c));
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
        this.#completed(session, durationMillis, bytes);
        this.#events.emit('session:migrated', { ...base, durationMillis, bytes, steps: outcome.steps });
        return { sessionId: session.id, from: source, to: target, durationMillis };
      }
      // A write still in flight (the migration failed before the transfer step waited for it) settles first, so the
      // snapshot is deleted, or kept for a retry, as it really is in the store.
      await writing?.catch(() => undefined);
      const error = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      const suspend = outcome.steps.find((s) => s.name === 'suspend');
      // The source refused the connection before any snapshot: it is dead, not "active again".
      const sourceDead = outcome.failedStep === 'snapshot' && !signal.aborted && refusedConnection(outcome.error);
      let resumedInSource = !sourceDead && (!suspend || suspend.status === 'rolled-back');
      if (suspend?.status === 'failed') {
        // A suspend that failed may still have landed (an answer lost on the way back): make sure the source serves.
        resumedInSource = await this.#bounded(`activate of session "${session.id}" in ${source}`, (c) => this.#o.adapter.activate(ref, source, c)).then(
          () => true,
          () => false,
        );
      }
      let outcomeName: 'rolled-back' | 'suspended' | 'lost';
      // A dead source whose session has a checkpoint (or whose store cannot say) awaits recovery, not "lost".
      const recoverable = sourceDead && (await this.#o.store.get(checkpointKey(session.id)).then(Boolean, () => true));
      if (recoverable) {
        outcomeName = 'suspended';
        this.#update(session, { state: 'suspended', region: source });
      } else if (sourceDead) {
        outcomeName = 'lost';
        this.#lost++;
        this.#update(session, { state: 'lost', region: source, pendingSnapshot: undefined });
      } else if (resumedInSource) {
        outcomeName = 'rolled-back';
        await this.#o.store.delete(key).catch(() => undefined);
        this.#update(session, { state: 'active', region: source, pendingSnapshot: undefined });
      } else {
        // The source could not resume: keep the session suspended and its snapshot safe for a retry.
        outcomeName = 'suspended';
        this.#update(session, { state: 'suspended', region: source, ...(encoded ? { pendingSnapshot: key } : {}) });
      }
      this.#recorder.ended('failed', this.#clock.now() - started);
      this.#events.emit('session:migration-failed', { ...base, failedStep: outcome.failedStep ?? 'unknown', error, resumedInSource, outcome: outcomeName, steps: outcome.steps });
      if (outcomeName === 'lost') this.#events.emit('session:lost', { sessionId: session.id, region: source, reason: 'source-unreachable', migrationId, error });
      const suspendedWhy = recoverable ? `left suspended: ${source} is unreachable; recoverRegion("${source}") restores it from its checkpoint` : `left suspended in ${source}, snapshot kept as ${key}`;
      const where = { lost: `lost: ${source} is unreachable and no snapshot or checkpoint was taken`, 'rolled-back': `active again in ${source}`, suspended: suspendedWhy }[outcomeName];
      throw new MeridianError('MIGRATION_FAILED', `Migration of session "${session.id}" ${source} -> ${target} failed at "${outcome.failedStep}": ${error}; ${where}`, {
        cause: outcome.error,
        details: { sessionId: session.id, migrationId, failedStep: outcome.failedStep, resumedInSource, steps: outcome.steps },
      });
    } finally {
      timer.cancel();
      this.#inFlight.delete(key);
    }
  }

  /**
   * Verifies a snapshot (codec: checksum and authentication; here: it is this
   * session's, from this migration) and creates the session suspended in
   * `target` from it. `bytes` gives the snapshot: read from the store by a
   * recovery, the bytes just written by a migration. A migration's snapshot
   * (its `identity` complete) goes to an adapter with `restoreJson` as text.
   * Undo discards it there.
   */
  #restoreStep(ref: SessionRef, key: string, target: string, identity: SnapshotIdentity | { sessionId: string }, signal: AbortSignal, epoch: number, bytes: () => Promise<Buffer | undefined>): Step {
    const adapter = this.#o.adapter;
    const mismatch = () => new MeridianError('SNAPSHOT_CORRUPT', `snapshot ${key} belongs to another session or migration`);
    return {
      name: 'restore',
      run: async () => {
        const snapshot = await bytes();
        if (!snapshot) throw new MeridianError('SNAPSHOT_CORRUPT', `snapshot ${key} is missing from the store`);
        if ('migrationId' in identity && jsonCapable(adapter)) {
          // Identity checked on the text: the envelope must begin with exactly this session's, migration's and regions' fields.
          const state = stateJsonOf(this.#o.codec.decodeJson(snapshot), identity);
          if (state === undefined) throw mismatch();
          await this.#batcher.restoreJson(ref, target, state, { signal, epoch });
        } else {
          const decoded = this.#o.codec.decode<{ sessionId: string; migrationId: string; state: unknown }>(snapshot);
          if (decoded.sessionId !== identity.sessionId || ('migrationId' in identity && decoded.migrationId !== identity.migrationId)) throw mismatch();
          await adapter.restore(ref, target, decoded.state, { signal, epoch });
        }
        return 'integrity verified (checksum, authentication, identity)';
      },
      undo: async () => {
        await this.#bounded(`discard of session "${ref.id}" in ${target}`, (c) => adapter.discard(ref, target, c));
      },
    };
  }

  #update(session: SessionInfo, change: Partial<SessionInfo>): void {
    Object.assign(session, change, { updatedAt: this.#clock.now() });
    if (change.region !== undefined) this.#knownRegions.add(change.region);
    if (change.pendingSnapshot === undefined && 'pendingSnapshot' in change) delete session.pendingSnapshot;
    if (this.#sessions.get(session.id) === session) void this.#persist(session.id);
  }
}

function invalidArgument(field: string, value: unknown, why: string): MeridianError {
  return new MeridianError('INVALID_ARGUMENT', `Invalid ${field} ${JSON.stringify(value)}: ${why}`, { details: { field } });
}

function inProgress(sessionId: string): MeridianError {
  return new MeridianError('MIGRATION_IN_PROGRESS', `Session "${sessionId}" is already being migrated`, { details: { sessionId } });
}

/** Whether the connection was never made (refused, unreachable), at any depth of the causes: an adapter wraps the network error. */
function refusedConnection(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    if (failureKind(current, false) === 'connect') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Whether the adapter carries state as JSON text both ways (one without the other is not used). */
function jsonCapable(adapter: SessionAdapter): adapter is SessionAdapter & Required<Pick<SessionAdapter, 'snapshotJson' | 'restoreJson'>> {
  return typeof adapter.snapshotJson === 'function' && typeof adapter.restoreJson === 'function';
}

/** Whether another attempt could succeed: not when the session is not in its source. */
function retryable(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return !MeridianError.hasCode(cause, 'SESSION_NOT_FOUND') && !MeridianError.hasCode(error, 'SESSION_NOT_FOUND') && !MeridianError.hasCode(error, 'INVALID_ARGUMENT');
}
