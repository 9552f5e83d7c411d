import { MeridianError, sleep, type Clock, type FailedMigration, type HeldSession, type LeaseStore, type Router, type SessionAdapter, type SessionRef, type SnapshotStore } from '@meridian/core';
import type { TypedEmitter } from '@meridian/core/spi';
import PQueue from 'p-queue';
import { checkpointIdentity, decodeCheckpoint, decodeRoundManifest, manifestConfirmedAt, type CheckpointRoundManifest } from '../checkpoint/checkpoint-envelope.js';
import { checkpointKey, checkpointRoundKey } from '../checkpoint/checkpoint-keys.js';
import type { SnapshotCodec } from '../codec/snapshot-codec.js';
import { snapshotCreatedAt } from './migration-keys.js';
import type { MigratorEvents, SessionInfo, SessionLostEvent } from './migrator-types.js';

/** Options of {@link SessionMigrator.recoverRegion}. */
export interface RecoverRegionOptions {
  /** A region id, or `nearest-healthy` (the router places each session by its `metadata.clientIp`). Default `nearest-healthy`. */
  to?: string;
  /** With `nearest-healthy`: where a session without `metadata.clientIp` goes, and every session when the migrator has no router. Default none (such a session is not recovered; it stays suspended, counted failed). */
  fallbackTo?: string;
  /** With `nearest-healthy`: only regions whose residency admits each session's client country. Default false. */
  residency?: boolean;
  /** Parallel recoveries. Default the migrator's `recoveryConcurrency`. */
  concurrency?: number;
  /** Stops the recovery between sessions (the ones not recovered stay suspended, checkpoint kept). */
  signal?: AbortSignal;
}

/** A session restored from its checkpoint in another region (or, by reconcile's `restoreMissing`, in its own). */
export interface RecoveredSession {
  /** Session id. */
  sessionId: string;
  /** The dead region (the region that lost it). */
  from: string;
  /** Where it is active now. */
  to: string;
  /** Its new fencing epoch. */
  epoch: number;
  /** When the restored state was taken (clock ms). */
  checkpointTakenAt: number;
  /**
   * Where the state came from: `live` when the region still answered (a false
   * alarm, a brownout: its copy was suspended and snapshotted, nothing lost),
   * `checkpoint`, or `snapshot` (kept by a migration that found the source dead).
   */
  restoredFrom: 'live' | 'checkpoint' | 'snapshot';
  /**
   * From the time the restored state was taken to the start of the recovery (the
   * region was dead by then): an upper bound of the window whose writes were
   * lost with the region.
   */
  stalenessMillis: number;
}

/** A session nothing usable was left of. */
export interface LostSession {
  /** Session id. */
  sessionId: string;
  /** Why (`no-checkpoint`, `checkpoint-corrupt`). */
  reason: SessionLostEvent['reason'];
  /** In words. */
  error: string;
}

/** What {@link SessionMigrator.recoverRegion} did. */
export interface RegionRecoveryResult {
  /** The dead region. */
  regionId: string;
  /** Sessions active elsewhere now, with their staleness. */
  recovered: RecoveredSession[];
  /** Sessions reported lost, by id. */
  lost: LostSession[];
  /** Sessions not recovered this time: still suspended, checkpoint kept; call again. */
  failed: FailedMigration[];
  /** Sessions left alone: moved or being moved by someone else meanwhile. */
  skipped: string[];
  /** Highest staleness among the recovered. */
  maxStalenessMillis: number;
  /** Wall time. */
  durationMillis: number;
}

/** Options of {@link SessionMigrator.reconcileRegion}. */
export interface ReconcileOptions {
  /**
   * Also settle the sessions registered in the region that it does not hold
   * (it restarted without them: a region that keeps sessions in memory only, a
   * lost disk): each is restored there from its freshest stored state (the
   * newer of the migration snapshot its record names and its checkpoint) under the next epoch,
   * or reported lost, by id, when there is none. Only sessions whose record was
   * last changed before the region was listed are considered (a session must be
   * created in its region before it is registered). Needs `SessionAdapter.list`.
   * Default false.
   */
  restoreMissing?: boolean;
  /** Stops the reconcile between sessions. */
  signal?: AbortSignal;
}

/** What {@link SessionMigrator.reconcileRegion} did. */
export interface ReconcileResult {
  /** The region that came back. */
  regionId: string;
  /** Stale copies removed. */
  discarded: string[];
  /** Copies of sessions still registered there, activated again under their epoch. */
  reactivated: string[];
  /** With `restoreMissing`: sessions the region no longer held, restored there from their stored state (`from` and `to` are the region). */
  restored: RecoveredSession[];
  /** With `restoreMissing`: sessions the region no longer held and nothing usable was stored of: reported lost, by id. */
  lost: LostSession[];
  /** Copies (or, with `restoreMissing`, missing sessions) that could not be handled now: tried again on the next reconcile. */
  failed: FailedMigration[];
}

/** @internal What the recovery needs of its migrator. */
export interface RecoveryHost {
  clock: Clock;
  adapter: SessionAdapter;
  codec: SnapshotCodec;
  store: SnapshotStore;
  router: Router | undefined;
  locks: LeaseStore;
  lockTtlMillis: number;
  concurrency: number;
  deadlineMillis: number;
  /** The migrator's `timeoutMillis`. */
  timeoutMillis: number;
  events: TypedEmitter<MigratorEvents>;
  assertOpen(): void;
  sessions(): Iterable<SessionInfo>;
  session(id: string): SessionInfo | undefined;
  /** The migration of this session in flight here, if any. */
  running(id: string): PromiseLike<unknown> | undefined;
  update(session: SessionInfo, change: Partial<SessionInfo>): void;
  commitMove(session: SessionInfo, target: string, state?: SessionInfo['state']): Promise<number>;
  /** Bounded by the migrator's `timeoutMillis`, or `millis`. */
  bounded(what: string, call: (options: { signal: AbortSignal }) => Promise<void>, millis?: number): Promise<void>;
  counted(outcome: { recovered: RecoveredSession; bytes: number; durationMillis: number } | { lost: true }): void;
  /** Reads the session's record from the registry into the migrator's view (after a fenced commit). */
  reload(id: string): Promise<void>;
}

type Outcomes = Pick<RegionRecoveryResult, 'recovered' | 'lost' | 'failed' | 'skipped'>;

type Outcome = { kind: 'recovered'; value: RecoveredSession } | { kind: 'lost'; value: LostSession } | { kind: 'failed'; error: string } | { kind: 'skipped' };

/** A state to restore, and where it came from. */
interface RestoreSource {
  state: unknown;
  takenAt: number;
  bytes: number;
  snapshotKey?: string;
  restoredFrom: RecoveredSession['restoredFrom'];
}

/** How long a recovery waits for the region it recovers from to answer (a dead one refuses at once). */
const LIVE_CHECK_MILLIS = 1_000;

/** A failure another try can fix (store down, target refused); anything else ends the session's recovery. */
class Retry extends Error {}

const BACKOFF_MIN = 100;
const BACKOFF_MAX = 1000;

/**
 * @internal Restores the sessions of a dead region from their checkpoints in
 * healthy regions, commits each move in the registry under a new fencing epoch,
 * and later tells the region, when it comes back, which of its copies are stale.
 */
export class RegionRecovery {
  /** Copies left in dead regions by recoveries (discard failed: the region was down): removed on reconcile. */
  readonly #stale = new Map<string, Set<string>>();
  readonly #recovering = new Set<string>();

  constructor(private readonly host: RecoveryHost) {}

  /** Whether this session is being recovered here now. */
  busy(sessionId: string): boolean {
    return this.#recovering.has(sessionId);
  }

  async recover(regionId: string, options: RecoverRegionOptions = {}): Promise<RegionRecoveryResult> {
    const h = this.host;
    h.assertOpen();
    if (typeof regionId !== 'string' || regionId.length === 0) throw invalidArgument('regionId', regionId, 'must be a region id');
    const to = options.to ?? 'nearest-healthy';
    if (to === regionId) throw invalidArgument('to', to, 'is the region being recovered');
    if (to === 'nearest-healthy' && !h.router && !options.fallbackTo) throw invalidArgument('to', to, 'needs a router in the SessionMigrator options (or a fallbackTo, or name a region)');
    const started = h.clock.now();
    // Sessions already reported lost stay lost; migrating ones are waited for (their migration settles them first).
    const sessions = [...h.sessions()].filter((s) => s.region === regionId && s.state !== 'lost' && !this.#recovering.has(s.id));
    this.#claim(sessions);
    h.events.emit('region:recovering', { regionId, sessionCount: sessions.length });
    if (to === 'nearest-healthy') h.router?.setDrained(regionId, true);
    let outcomes: Outcomes;
    try {
      outcomes = await this.#recoverAll(sessions, regionId, to, options, started);
    } finally {
      if (to === 'nearest-healthy') h.router?.setDrained(regionId, false);
    }
    const result: RegionRecoveryResult = { regionId, ...outcomes, maxStalenessMillis: outcomes.recovered.reduce((max, r) => Math.max(max, r.stalenessMillis), 0), durationMillis: h.clock.now() - started };
    h.events.emit('region:recovered', {
      regionId,
      recovered: result.recovered.length,
      lost: result.lost.length,
      failed: result.failed.length,
      maxStalenessMillis: result.maxStalenessMillis,
      durationMillis: result.durationMillis,
    });
    return result;
  }

  /** Marks sessions as being recovered here; an active one is suspended: it serves nowhere until recovered, and is counted so. */
  #claim(sessions: SessionInfo[]): void {
    for (const s of sessions) {
      this.#recovering.add(s.id);
      if (s.state === 'active') this.host.update(s, { state: 'suspended' });
    }
  }

  /**
   * Recovers claimed `sessions` of `regionId` into `to` (the region itself:
   * restored in place), `concurrency` at a time, each until
   * `recoveryTimeoutMillis` from `started`; each is unclaimed once its outcome is known.
   */
  async #recoverAll(sessions: SessionInfo[], regionId: string, to: string, options: RecoverRegionOptions, started: number): Promise<Outcomes> {
    const h = this.host;
    const deadline = started + h.deadlineMillis;
    const outcomes: Outcomes = { recovered: [], lost: [], failed: [], skipped: [] };
    const manifest = this.#manifest(regionId);
    try {
      const queue = new PQueue({ concurrency: options.concurrency ?? h.concurrency });
      await Promise.all(
        sessions.map((session) =>
          queue.add(async () => {
            let outcome: Outcome;
            try {
              outcome = await this.#recoverOne(session, regionId, to, options, started, deadline, manifest);
            } catch (error) {
              outcome = { kind: 'failed', error: error instanceof Error ? error.message : String(error) };
            } finally {
              this.#recovering.delete(session.id);
            }
            if (outcome.kind === 'recovered') outcomes.recovered.push(outcome.value);
            else if (outcome.kind === 'lost') outcomes.lost.push(outcome.value);
            else if (outcome.kind === 'failed') outcomes.failed.push({ sessionId: session.id, error: outcome.error });
            else outcomes.skipped.push(session.id);
          }),
        ),
      );
    } finally {
      for (const s of sessions) this.#recovering.delete(s.id);
    }
    return outcomes;
  }

  async #recoverOne(session: SessionInfo, regionId: string, to: string, options: RecoverRegionOptions, started: number, deadline: number, manifest: () => Promise<CheckpointRoundManifest | undefined>): Promise<Outcome> {
    const h = this.host;
    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) return { kind: 'failed', error: 'recovery was aborted before this session was recovered; checkpoint kept' };
      // A migration of it in flight here settles first (it may find the source dead and leave it suspended).
      await Promise.resolve(h.running(session.id)).catch(() => undefined);
      if (session.region !== regionId || session.state === 'lost' || session.state === 'active') return { kind: 'skipped' };
      try {
        return await this.#tryOnce(session, regionId, to, options, started, manifest);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        if (!(error instanceof Retry)) return { kind: 'failed', error: why };
        const pause = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** attempt);
        if (h.clock.now() + pause > deadline) return { kind: 'failed', error: `gave up after ${attempt + 1} tries (recoveryTimeoutMillis): ${why}; still suspended, checkpoint kept` };
        try {
          await sleep(h.clock, pause, options.signal);
        } catch {
          return { kind: 'failed', error: 'recovery was aborted; checkpoint kept' };
        }
      }
    }
  }

  async #tryOnce(session: SessionInfo, regionId: string, to: string, options: RecoverRegionOptions, started: number, manifest: () => Promise<CheckpointRoundManifest | undefined>): Promise<Outcome> {
    const h = this.host;
    const begun = h.clock.now();
    const lock = await h.locks.acquire(`session:${session.id}`, `recover-${regionId}-${session.id}`, h.lockTtlMillis).catch((error: unknown) => {
      throw new Retry(`lock store: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    });
    if (!lock) throw new Retry(`session "${session.id}" is locked by another migration or control plane`);
    try {
      const ref: SessionRef = { id: session.id, region: regionId, metadata: { ...session.metadata } };
      // A region declared unhealthy may still answer (a false alarm under load, a brownout): its copy must stop
      // serving before another region's starts, and then its live state beats any checkpoint.
      // Restored in place (reconcile's restoreMissing): the region answers but no longer holds it.
      const inPlace = to === regionId;
      const gone = inPlace ? `${regionId} no longer holds it: it was lost` : 'its region died';
      const source = (await this.#liveState(ref, regionId)) ?? (await this.#readLatest(session, manifest, gone));
      if ('lost' in source) {
        h.update(session, { state: 'lost' });
        h.counted({ lost: true });
        h.events.emit('session:lost', { sessionId: session.id, region: regionId, reason: source.lost, error: source.error });
        return { kind: 'lost', value: { sessionId: session.id, reason: source.lost, error: source.error } };
      }
      const target = await this.#target(session, regionId, to, options);
      const epoch = session.epoch + 1;
      try {
        await h.bounded(`restore of session "${session.id}" in ${target}`, (c) => h.adapter.restore(ref, target, source.state, { ...c, epoch }));
      } catch (error) {
        await this.#discard(ref, target);
        throw new Retry(`restore in ${target} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
      try {
        // `migrating` until the target serves: nobody is told it is active there before it is.
        await h.commitMove(session, target, 'migrating');
      } catch (error) {
        await this.#discard(ref, target);
        if (MeridianError.hasCode(error, 'SESSION_FENCED')) {
          // Someone else moved it: their record wins; this instance's view follows.
          await h.reload(session.id).catch(() => undefined);
          return { kind: 'skipped' };
        }
        throw new Retry(`session registry: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
      try {
        await h.bounded(`activate of session "${session.id}" in ${target}`, (c) => h.adapter.activate(ref, target, { ...c, epoch }));
      } catch (error) {
        await this.#discard(ref, target);
        // Not serving in the target: back to suspended in the dead region, under a new epoch (they never go back).
        await h.commitMove(session, regionId, 'suspended').catch(() => h.update(session, { region: regionId, state: 'suspended', epoch: session.epoch + 1 }));
        throw new Retry(`activate in ${target} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
      // Whatever snapshot the record named is superseded now (one older than the checkpoint is left to the sweep).
      h.update(session, { state: 'active', pendingSnapshot: undefined });
      if (source.snapshotKey) await h.store.delete(source.snapshotKey).catch(() => undefined);
      const now = h.clock.now();
      const recovered: RecoveredSession = {
        sessionId: session.id,
        from: regionId,
        to: target,
        epoch,
        checkpointTakenAt: source.takenAt,
        restoredFrom: source.restoredFrom,
        stalenessMillis: source.restoredFrom === 'live' ? 0 : Math.max(0, started - source.takenAt),
      };
      h.counted({ recovered, bytes: source.bytes, durationMillis: now - begun });
      h.events.emit('session:recovered', { ...recovered, bytes: source.bytes, durationMillis: now - begun });
      if (!inPlace) {
        this.#markStale(regionId, session.id);
        // The dead region may still answer (an unhealthy, not dead, region): its copy must stop serving now.
        void this.#discard(ref, regionId).then((removed) => removed && this.#stale.get(regionId)?.delete(session.id));
      }
      return { kind: 'recovered', value: recovered };
    } finally {
      await h.locks.release(lock).catch(() => undefined);
    }
  }

  /**
   * When the region still answers: suspends its copy (so it never serves beside
   * the recovered one) and takes its live state. Undefined when it does not
   * answer within a short bound (dead: the usual case, refused at once) or does
   * not hold the session; a copy suspended but not snapshotted stays suspended.
   */
  async #liveState(ref: SessionRef, regionId: string): Promise<RestoreSource | undefined> {
    const h = this.host;
    const bound = Math.min(LIVE_CHECK_MILLIS, h.timeoutMillis);
    try {
      await h.bounded(`suspend of session "${ref.id}" in ${regionId}`, (c) => h.adapter.suspend(ref, regionId, c), bound);
    } catch {
      return undefined;
    }
    let state: unknown;
    try {
      await h.bounded(`snapshot of session "${ref.id}" in ${regionId}`, async (c) => void (state = await h.adapter.snapshot(ref, c)), bound);
    } catch {
      return undefined;
    }
    return { state, takenAt: h.clock.now(), bytes: 0, restoredFrom: 'live' };
  }

  /**
   * The freshest usable state: the newer of a migration snapshot named in the session's record (a move cut short, a
   * failed rollback) and its checkpoint. Either may be missing or unreadable; then the other serves.
   */
  async #readLatest(session: SessionInfo, manifest: () => Promise<CheckpointRoundManifest | undefined>, gone: string): Promise<RestoreSource | { lost: LostSession['reason']; error: string }> {
    const h = this.host;
    const read = async (key: string) => {
      try {
        return await h.store.get(key);
      } catch (error) {
        if (MeridianError.hasCode(error, 'INVALID_ARGUMENT')) throw error;
        throw new Retry(`snapshot store: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
    };
    const snapshot = session.pendingSnapshot ? await this.#readSnapshot(session, session.pendingSnapshot, read) : undefined;
    const stored = await read(checkpointKey(session.id));
    if (!stored) return snapshot ?? { lost: 'no-checkpoint', error: `${gone} before its first checkpoint (${checkpointKey(session.id)} is not in the store)` };
    let checkpoint: RestoreSource;
    try {
      const decoded = decodeCheckpoint(h.codec, stored.bytes, session.id);
      // A later round that found this very state still current dates it from that round's start.
      const identity = checkpointIdentity(decoded);
      const round = await manifest();
      const confirmedAt = manifestConfirmedAt(round, session.id, identity);
      checkpoint = { state: decoded.state, takenAt: Math.max(decoded.takenAt, confirmedAt ?? 0), bytes: stored.bytes.length, restoredFrom: 'checkpoint' };
    } catch (error) {
      if (!MeridianError.hasCode(error, 'SNAPSHOT_CORRUPT')) throw error;
      return snapshot ?? { lost: 'checkpoint-corrupt', error: `its checkpoint was refused: ${(error as Error).message}` };
    }
    // On a tie either would do; the snapshot is what the move would have carried.
    return snapshot && snapshot.takenAt >= checkpoint.takenAt ? snapshot : checkpoint;
  }

  /** A migration snapshot of this session, when the store has it and it reads back as this session's. */
  async #readSnapshot(session: SessionInfo, key: string, read: (key: string) => Promise<{ bytes: Buffer } | undefined>): Promise<RestoreSource | undefined> {
    const stored = await read(key);
    const takenAt = snapshotCreatedAt(key);
    if (!stored || takenAt === undefined) return undefined; // a move cut short before its write landed: none
    try {
      const decoded = this.host.codec.decode<{ sessionId: string; state: unknown }>(stored.bytes);
      return decoded.sessionId === session.id ? { state: decoded.state, takenAt, bytes: stored.bytes.length, snapshotKey: key, restoredFrom: 'snapshot' } : undefined;
    } catch {
      return undefined; // unreadable: the checkpoint serves
    }
  }

  /**
   * The region's latest round manifest, read once per recovery (again after a
   * failed read, by the next session that needs it). None, or unreadable: states
   * are dated by their checkpoint alone, which overstates staleness, never understates it.
   */
  #manifest(regionId: string): () => Promise<CheckpointRoundManifest | undefined> {
    let cached: Promise<CheckpointRoundManifest | undefined> | undefined;
    return () => {
      cached ??= this.host.store.get(checkpointRoundKey(regionId)).then(
        (stored) => (stored ? decodeRoundManifest(this.host.codec, stored.bytes, regionId) : undefined),
        () => {
          cached = undefined;
          return undefined;
        },
      );
      return cached.catch(() => undefined);
    };
  }

  async #target(session: SessionInfo, regionId: string, to: string, options: RecoverRegionOptions): Promise<string> {
    if (to !== 'nearest-healthy') return to;
    const ip = session.metadata.clientIp;
    const router = this.host.router;
    if (!ip || !router) {
      if (options.fallbackTo && options.fallbackTo !== regionId) return options.fallbackTo;
      const why = router ? 'has no metadata.clientIp to route by' : 'cannot be routed (the migrator has no router)';
      throw new Error(`session "${session.id}" ${why} and no fallbackTo was given; still suspended, checkpoint kept`);
    }
    try {
      const decision = await router.route({ ip, requireHealthy: true, ...(options.residency ? { residency: true } : {}) });
      if (decision.region === regionId) throw new MeridianError('NO_ELIGIBLE_REGION', `the router still sends ${ip} to ${regionId}`);
      return decision.region;
    } catch (error) {
      // No healthy region yet (several down at once): another try may find one.
      throw new Retry(`no target region: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
  }

  /** Removes a copy, bounded; true when it is gone. */
  async #discard(ref: SessionRef, region: string): Promise<boolean> {
    return this.host.bounded(`discard of session "${ref.id}" in ${region}`, (c) => this.host.adapter.discard(ref, region, c)).then(
      () => true,
      () => false,
    );
  }

  #markStale(regionId: string, sessionId: string): void {
    let ids = this.#stale.get(regionId);
    if (!ids) this.#stale.set(regionId, (ids = new Set()));
    ids.add(sessionId);
  }

  /**
   * A region that came back: every copy it holds of a session registered
   * elsewhere is discarded; copies of sessions still registered there (their
   * recovery never happened, or was undone) are activated again under their
   * registered epoch. With `SessionAdapter.list` every copy is checked; without it,
   * the copies this instance recovered away from the region.
   */
  async reconcile(regionId: string, options: ReconcileOptions = {}): Promise<ReconcileResult> {
    const h = this.host;
    h.assertOpen();
    if (options.restoreMissing && !h.adapter.list) throw invalidArgument('restoreMissing', true, 'needs SessionAdapter.list: only a region that lists its sessions can say which ones it lost');
    const result: ReconcileResult = { regionId, discarded: [], reactivated: [], restored: [], lost: [], failed: [] };
    const listedAt = h.clock.now();
    let held: HeldSession[];
    if (h.adapter.list) {
      const signal = options.signal ?? new AbortController().signal;
      held = await h.adapter.list(regionId, { signal });
    } else {
      held = [...(this.#stale.get(regionId) ?? [])].map((id) => ({ id, status: 'suspended' as const }));
    }
    const queue = new PQueue({ concurrency: h.concurrency });
    await Promise.all(
      held.map((copy) =>
        queue.add(async () => {
          if (options.signal?.aborted || this.#recovering.has(copy.id)) return;
          const session = h.session(copy.id);
          if (!session) return; // Not a session this control plane knows: not ours to touch.
          const ref: SessionRef = { id: copy.id, region: regionId, metadata: { ...session.metadata } };
          const lock = await h.locks.acquire(`session:${copy.id}`, `reconcile-${regionId}-${copy.id}`, h.lockTtlMillis).catch(() => undefined);
          if (!lock) return; // Moving right now: the next reconcile sees where it landed.
          try {
            // Only a copy of a session registered elsewhere is stale. A copy here under an older epoch is the
            // session's own: a move undone after the registry named the target (a migration rolled back, a
            // recovery whose target would not activate) names this region again under a newer epoch without
            // touching this copy, which holds the session's latest state; activating it raises its epoch.
            const stale = session.region !== regionId;
            if (stale) {
              if (await this.#discard(ref, regionId)) {
                result.discarded.push(copy.id);
                this.#stale.get(regionId)?.delete(copy.id);
              } else result.failed.push({ sessionId: copy.id, error: `discard in ${regionId} failed` });
              return;
            }
            // A session left `migrating` by a control plane that stopped mid-move (none runs here: a restarted
            // agent loaded it so) is its registered region's: the registry commits a move before the target serves.
            if (copy.status === 'suspended' && (session.state !== 'migrating' || h.running(copy.id) === undefined)) {
              // Its own copy, current epoch: the region kept it through the outage.
              try {
                await h.bounded(`activate of session "${copy.id}" in ${regionId}`, (c) => h.adapter.activate(ref, regionId, { ...c, epoch: session.epoch }));
                // This copy holds the latest state: a snapshot the record named (a move cut short) is superseded.
                h.update(session, { state: 'active', pendingSnapshot: undefined });
                result.reactivated.push(copy.id);
              } catch (error) {
                result.failed.push({ sessionId: copy.id, error: (error as Error)?.message ?? String(error) });
              }
            }
          } finally {
            await h.locks.release(lock).catch(() => undefined);
          }
        }),
      ),
    );
    if (options.restoreMissing) {
      const holds = new Set(held.map((copy) => copy.id));
      // Registered here before the region was listed, not held by it, not moving: the region lost them.
      const missing = [...h.sessions()].filter((s) => s.region === regionId && s.state !== 'lost' && s.updatedAt < listedAt && !holds.has(s.id) && !this.#recovering.has(s.id) && h.running(s.id) === undefined);
      if (missing.length > 0) {
        this.#claim(missing);
        const outcomes = await this.#recoverAll(missing, regionId, regionId, options.signal ? { signal: options.signal } : {}, h.clock.now());
        result.restored.push(...outcomes.recovered);
        result.lost.push(...outcomes.lost);
        result.failed.push(...outcomes.failed);
      }
    }
    h.events.emit('region:reconciled', { regionId, discarded: result.discarded.length, reactivated: result.reactivated.length, restored: result.restored.length, lost: result.lost.length, failed: result.failed.length });
    return result;
  }
}

function invalidArgument(field: string, value: unknown, why: string): MeridianError {
  return new MeridianError('INVALID_ARGUMENT', `Invalid ${field} ${JSON.stringify(value)}: ${why}`, { details: { field } });
}
