import { systemClock, type Clock, type TimerHandle } from '../clock/clock.js';
import { sleep } from '../clock/sleep.js';
import { parseOptions } from '../config/parse-options.js';
import type { ReplicaStore, ReplicaVersion, StoredRecord } from '../contracts/replica-store.js';
import type { Syncer } from '../contracts/syncer.js';
import { abortError } from '../errors/abort.js';
import { MeridianError } from '../errors/meridian-error.js';
import type { Disposable } from '../events/disposable.js';
import { noopMetrics } from '../metrics/noop-metrics.js';
import { TypedEmitter, type EventSource, type Listener, type WithErrorEvent } from '../events/typed-emitter.js';
import { merkleDiff, type MerkleDiff } from './anti-entropy.js';
import type { Reconciled } from './conflict-resolution.js';
import { Delivery } from './delivery.js';
import type { KnownAbsent } from './incoming-frame.js';
import { cloneJson } from './json-clone.js';
import { readOnly } from './lent-reads.js';
import { hlcWall, HybridLogicalClock } from './hlc.js';
import { ReplicaWriter, type WriteAck } from './replica-writer.js';
import { checkKey } from './replica-record.js';
import { errorInfo, SyncPair } from './sync-pair.js';
import { syncOptionsSchema, syncSettingsSchema, type CrossRegionSyncOptions, type ResolvedSyncOptions, type SyncSettings, type SyncSettingsState } from './sync-options.js';
import type { PendingConflict, SyncEvents, SyncPairStatus, SyncRegionState } from './sync-types.js';
import { syncRecorder, type SyncRecorder } from './sync-metrics.js';
import { purgeTombstones } from './tombstone-gc.js';

/**
 * One Merkle walk between two regions, shared by both directions of the pair in
 * a round, with each region's store head read before the walk began: whatever
 * came after is pushed by the direction it belongs to.
 */
interface SharedWalk {
  diff: MerkleDiff;
  headBefore: Record<string, number>;
}

interface RegionSlot {
  id: string;
  store: ReplicaStore;
  priority: number;
  hlc: HybridLogicalClock;
  writer: ReplicaWriter;
}

/** Replication state of every region and pair. */
export interface CrossRegionSyncStatus {
  /** `active-active` or `active-passive`. */
  mode: 'active-active' | 'active-passive';
  /** The writing region in active-passive; the preferred one otherwise. */
  primary: string;
  /** The conflict policy's name (`custom` for a resolver function). */
  policy: string;
  /** Per region (as a target). */
  regions: SyncRegionState[];
  /** Per direction. */
  pairs: SyncPairStatus[];
  /** Distinct conflicts detected since start. */
  conflicts: number;
  /** Conflicts waiting for `resolve` (manual policy). */
  conflictsPending: number;
  /** Conflicts settled (by policy, resolver or `resolve`). */
  conflictsResolved: number;
  /** When the last round ended. */
  lastRoundAt: number | undefined;
}

/** What one round did for one pair. */
export interface SyncPairRound {
  /** Source region. */
  from: string;
  /** Target region. */
  to: string;
  /** False when the round failed (or was held by clock skew). */
  ok: boolean;
  /** Records written at the target. */
  records: number;
  /** Encoded bytes carried. */
  bytes: number;
  /** True when it began with a Merkle catch-up. */
  catchUp: boolean;
}

/** What one round did, per pair that ran. */
export interface SyncRoundReport {
  /** Pairs that ran (pairs backing off are left out). */
  pairs: SyncPairRound[];
}

const SEEN_LIMIT = 10_000;
// Forwarded keys are read at the target before they are written: none is known absent there.
const NONE_ABSENT: ReadonlySet<string> = new Set();

/**
 * Keeps keyed data in step between regions (`Syncer`). Every `intervalMillis`
 * each pair pushes the source's own new writes (from its change scan) to the
 * target; a pair that starts, heals after failures, or is due for the periodic
 * check first runs a Merkle anti-entropy walk, so it sends only what differs.
 * Hybrid logical clocks order writes, version vectors tell concurrent writes
 * from successive ones, and the conflict policy settles the concurrent ones the
 * same way in every region. A pair whose peer is down backs off and retries;
 * its cursor does not move, so nothing written meanwhile is lost.
 */
export class CrossRegionSync implements Syncer, EventSource<WithErrorEvent<SyncEvents>> {
  declare readonly '~events'?: WithErrorEvent<SyncEvents>;
  readonly #o: ResolvedSyncOptions;
  readonly #clock: Clock;
  readonly #events = new TypedEmitter<SyncEvents>();
  readonly #regions = new Map<string, RegionSlot>();
  readonly #pairs: SyncPair[] = [];
  readonly #conflicts = new Map<string, PendingConflict>();
  /**
   * The primary's `seq` of each queued conflict that was loaded from it: loaded conflicts list in that order
   * (as a scan finds them), ahead of those detected at the same time, however the round came by them.
   */
  readonly #loadedSeq = new Map<string, number>();
  readonly #seenConflicts = new Set<string>();
  readonly #lagging = new Set<string>();
  readonly #stop = new AbortController();
  #primary: string;
  #conflictsDetected = 0;
  #conflictsResolved = 0;
  #timer: TimerHandle | undefined;
  /** A round started by the loop's own timer is running (it schedules the next one when it ends). */
  #loopRound = false;
  #round: Promise<SyncRoundReport> | undefined;
  #started = false;
  #stopped = false;
  #closing: Promise<void> | undefined;
  #lastRoundAt: number | undefined;
  #lastCatchUpAt: number;
  #conflictsLoaded = false;
  /**
   * Set while a round builds the conflict queue from what it reads of the primary anyway (instead of a
   * separate scan): the round's start, which is when loaded conflicts count as detected.
   */
  #deriving: number | undefined;
  readonly #recorder: SyncRecorder;

  constructor(options: CrossRegionSyncOptions) {
    this.#o = parseOptions(syncOptionsSchema, options, 'CrossRegionSync options');
    this.#clock = this.#o.clock ?? systemClock;
    const now = this.#clock.now();
    this.#lastCatchUpAt = now;
    this.#o.regions.forEach((r, index) => {
      const hlc = new HybridLogicalClock({ node: r.id, clock: this.#clock, maxClockSkewMillis: this.#o.maxClockSkewMillis });
      this.#regions.set(r.id, {
        id: r.id,
        store: r.store,
        priority: r.priority ?? index,
        hlc,
        writer: new ReplicaWriter({ regionId: r.id, store: r.store, hlc, maxValueBytes: this.#o.maxValueBytes }),
      });
    });
    this.#primary = this.#o.primary ?? [...this.#regions.values()].sort((a, b) => a.priority - b.priority)[0]!.id;
    this.#buildPairs(now);
    const ids = [...this.#regions.keys()];
    // Every direction that may ever carry data (promote() can turn any region into the source).
    const directions = ids.flatMap((from) => ids.filter((to) => to !== from).map((to) => ({ from, to })));
    this.#recorder = syncRecorder(this.#o.metrics ?? noopMetrics, policyName(this.#o.conflictPolicy), directions);
  }

  on<K extends keyof WithErrorEvent<SyncEvents> & string>(name: K, listener: Listener<WithErrorEvent<SyncEvents>[K]>): Disposable {
    return this.#events.on(name, listener);
  }

  once<K extends keyof WithErrorEvent<SyncEvents> & string>(name: K, listener: Listener<WithErrorEvent<SyncEvents>[K]>): Disposable {
    return this.#events.once(name, listener);
  }

  /** Starts the push loop (first round at once). Idempotent; SHUT_DOWN after `close()`. */
  async start(): Promise<void> {
    this.#assertOpen();
    if (this.#started) return;
    this.#started = true;
    this.#schedule(0);
  }

  /**
   * Stops the loop and waits for the round in flight; closes nothing it does not
   * own (the stores stay open). Idempotent; awaitable. Listeners stay
   * subscribed, so events of the last round still reach them; dispose your own
   * subscriptions when you no longer want them.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @deprecated Use `close()`; unlike before, it no longer removes your listeners. */
  shutdown(): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#stop.abort(new MeridianError('SHUT_DOWN', 'CrossRegionSync was shut down'));
    await this.#round?.catch(() => undefined);
  }

  /** The writing region (active-passive) or the preferred one. */
  get primary(): string {
    return this.#primary;
  }

  /**
   * Makes `regionId` the primary: in active-passive it becomes the only writer
   * and the source of every pair (call after failing over, once its lag is 0).
   */
  promote(regionId: string): void {
    this.#slot(regionId);
    if (regionId === this.#primary) return;
    this.#primary = regionId;
    if (this.#o.mode === 'active-passive') {
      this.#pairs.length = 0;
      this.#buildPairs(this.#clock.now());
    }
  }

  /**
   * Changes the push interval and the bandwidth limit while running (validated
   * as the constructor's options are: INVALID_CONFIG naming the setting). A new
   * interval applies from now: the next round is `intervalMillis` away (or follows
   * the round in flight by that much). A new limit gives every pair a fresh bucket.
   * Returns the settings now in force.
   */
  configure(settings: SyncSettings): SyncSettingsState {
    this.#assertOpen();
    const s = parseOptions(syncSettingsSchema, settings, 'CrossRegionSync.configure settings');
    if (s.maxBytesPerSecond !== undefined || s.burstBytes !== undefined) {
      if (s.maxBytesPerSecond !== undefined) this.#o.maxBytesPerSecond = s.maxBytesPerSecond ?? undefined;
      if (s.burstBytes !== undefined) this.#o.burstBytes = s.burstBytes ?? undefined;
      for (const pair of this.#pairs) pair.setBandwidth({ maxBytesPerSecond: this.#o.maxBytesPerSecond, burstBytes: this.#o.burstBytes });
    }
    if (s.intervalMillis !== undefined) {
      this.#o.intervalMillis = s.intervalMillis;
      // A waiting timer was set for the old interval; a loop round in flight schedules the next one itself.
      if (this.#started && !this.#loopRound) {
        this.#timer?.cancel();
        this.#schedule(s.intervalMillis);
      }
    }
    return this.settings;
  }

  /** The runtime settings in force (see {@link CrossRegionSync.configure}). */
  get settings(): SyncSettingsState {
    return { intervalMillis: this.#o.intervalMillis, maxBytesPerSecond: this.#o.maxBytesPerSecond, burstBytes: this.#o.burstBytes };
  }

  /** Writes `value` in one region. Resolves once that region's store has it (the acknowledgement). */
  async write(regionId: string, key: string, value: unknown, options: { signal?: AbortSignal } = {}): Promise<WriteAck> {
    return this.#writable(regionId).put(key, value, options);
  }

  /** Deletes `key` in one region (a tombstone that replicates). */
  async delete(regionId: string, key: string, options: { signal?: AbortSignal } = {}): Promise<WriteAck> {
    return this.#writable(regionId).delete(key, options);
  }

  /** Reads `key` as one region holds it now (undefined when absent or deleted). */
  async read(regionId: string, key: string, options: { signal?: AbortSignal } = {}): Promise<unknown> {
    return this.#slot(regionId).writer.get(key, options);
  }

  /** Runs one round now (or joins the one in flight, then runs another). */
  async syncNow(options: { signal?: AbortSignal } = {}): Promise<SyncRoundReport> {
    this.#assertOpen();
    const previous = this.#round ?? Promise.resolve(undefined);
    const next = previous.catch(() => undefined).then(() => this.#runRound(options.signal));
    this.#round = next;
    try {
      return await next;
    } finally {
      if (this.#round === next) this.#round = undefined;
    }
  }

  /** Runs a Merkle anti-entropy walk on every pair (or the pairs given) now. */
  async antiEntropy(options: { signal?: AbortSignal } = {}): Promise<SyncRoundReport> {
    for (const pair of this.#pairs) pair.needsCatchUp = true;
    return this.syncNow(options);
  }

  /** Conflicts waiting for `resolve` (manual policy), oldest first. Durable: they live in the stores and are reloaded on start. */
  async conflicts(options: { signal?: AbortSignal } = {}): Promise<PendingConflict[]> {
    if (!this.#conflictsLoaded) await this.#loadConflicts(options.signal);
    const rank = (c: PendingConflict): number => this.#loadedSeq.get(c.key) ?? Number.POSITIVE_INFINITY;
    // A stable sort: conflicts detected (not loaded) at the same time stay in the order they came.
    return [...this.#conflicts.values()].sort((a, b) => a.detectedAt - b.detectedAt || rank(a) - rank(b) || 0).map((c) => structuredClone(c));
  }

  /**
   * Settles a pending conflict with `value` (or `{ deleted: true }`), written in
   * `regionId` (default the primary) as a new version that supersedes every
   * version in conflict; it replicates like any write.
   */
  async resolve(key: string, outcome: { value: unknown } | { deleted: true }, options: { regionId?: string; signal?: AbortSignal } = {}): Promise<WriteAck> {
    checkKey(key);
    const regionId = options.regionId ?? this.#primary;
    const ack = await this.#slot(regionId).writer.resolve(key, outcome, options);
    if (this.#dequeue(key)) this.#conflictsResolved += 1;
    this.#events.emit('sync:resolved', { key, regionId, version: ack.version });
    return ack;
  }

  /** Lag, pending changes, traffic and errors per region and pair, as of the last round. */
  status(): CrossRegionSyncStatus {
    const now = this.#clock.now();
    const pairs = this.#pairs.map((p) => p.status(now));
    const regions = [...this.#regions.keys()].map((id) => regionState(id, pairs));
    return {
      mode: this.#o.mode,
      primary: this.#primary,
      policy: policyName(this.#o.conflictPolicy),
      regions,
      pairs,
      conflicts: this.#conflictsDetected,
      conflictsPending: this.#conflicts.size,
      conflictsResolved: this.#conflictsResolved,
      lastRoundAt: this.#lastRoundAt,
    };
  }

  /**
   * Resolves when `regionId` is within `maxLagMillis` of its sources, running
   * rounds until it is; rejects with ABORTED on `signal`, SHUT_DOWN on `close()`.
   */
  async waitForLag(regionId: string, maxLagMillis: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#slot(regionId);
    if (!Number.isFinite(maxLagMillis) || maxLagMillis < 0) {
      throw new MeridianError('INVALID_ARGUMENT', `maxLagMillis must be a non-negative number, got ${String(maxLagMillis)}`);
    }
    const signal = options.signal ? AbortSignal.any([options.signal, this.#stop.signal]) : this.#stop.signal;
    for (;;) {
      if (signal.aborted) throw this.#stop.signal.aborted ? this.#stop.signal.reason : abortError(signal, `waitForLag(${regionId})`);
      await this.syncNow({ signal });
      const state = this.status().regions.find((r) => r.regionId === regionId)!;
      if (state.reachable && state.lagMillis <= maxLagMillis) return;
      await sleep(this.#clock, this.#o.intervalMillis, signal);
    }
  }

  #buildPairs(now: number): void {
    const ids = [...this.#regions.keys()];
    const sources = this.#o.mode === 'active-passive' ? [this.#primary] : ids;
    for (const from of sources) {
      for (const to of ids) {
        if (from === to) continue;
        this.#pairs.push(
          new SyncPair(from, to, now, this.#clock, this.#o.retry, this.#o.random ?? Math.random, {
            maxBytesPerSecond: this.#o.maxBytesPerSecond,
            burstBytes: this.#o.burstBytes,
          }),
        );
      }
    }
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#loopRound = true;
      this.syncNow()
        .catch(() => undefined) // a round reports its failures as events; the loop goes on
        .finally(() => {
          this.#loopRound = false;
          this.#schedule(this.#o.intervalMillis);
        });
    }, delay);
  }

  async #runRound(signal: AbortSignal | undefined): Promise<SyncRoundReport> {
    const combined = signal ? AbortSignal.any([signal, this.#stop.signal]) : this.#stop.signal;
    const now = this.#clock.now();
    if (!this.#conflictsLoaded) {
      // Only the primary's records make the queue. When sync writes nowhere but from the primary (every pair
      // starts there), each record a pair sends was read from the primary just before, so noting the conflicts
      // of what the round reads puts every key in the queue before any event of this round can touch it, as
      // a load first would. A full catch-up from the primary reads it all: the queue is then complete.
      if (this.#pairs.every((p) => p.from === this.#primary)) this.#deriving = now;
      else await this.#loadConflicts(combined, now).catch(() => undefined);
    }
    if (now - this.#lastCatchUpAt >= this.#o.antiEntropyIntervalMillis) {
      this.#lastCatchUpAt = now;
      for (const pair of this.#pairs) pair.needsCatchUp = true;
      await this.#collectGarbage(combined);
    }
    const due = this.#pairs.filter((p) => p.due(now));
    // Both directions of a region pair that catch up in this round share one Merkle walk.
    const walks = new Map<string, Promise<SharedWalk>>();
    const deriving = this.#deriving !== undefined;
    let report: SyncRoundReport;
    try {
      report = { pairs: await Promise.all(due.map((p) => this.#runPair(p, combined, walks))) };
    } finally {
      this.#deriving = undefined;
    }
    // No full catch-up from the primary this round (or it failed): the keys it did not read come from a scan.
    if (deriving && !this.#conflictsLoaded) await this.#loadConflicts(combined, now).catch(() => undefined);
    this.#lastRoundAt = this.#clock.now();
    this.#reportLag();
    return report;
  }

  async #runPair(pair: SyncPair, signal: AbortSignal, walks: Map<string, Promise<SharedWalk>>): Promise<SyncPairRound> {
    const source = this.#slot(pair.from);
    const target = this.#slot(pair.to);
    const started = this.#clock.now();
    const catchUp = pair.needsCatchUp;
    const delivery = this.#delivery(pair, target, signal);
    let side: 'source' | 'target' = 'source';
    try {
      // What waits at the source, read even when the target turns out to be unreachable, so lag stays true.
      if (pair.cursor !== undefined) {
        const waiting = await source.store.scan({ since: pair.cursor, origin: pair.from, limit: 1, values: false, signal });
        pair.pending = waiting.records.length + waiting.remaining;
        pair.oldestPendingWall = waiting.records[0] ? hlcWall(waiting.records[0].version) : undefined;
      } else {
        await source.store.scan({ since: Number.MAX_SAFE_INTEGER, limit: 1, values: false, signal });
      }
      side = 'target';
      // Every round touches the target, even with nothing to send: an unreachable target shows
      // as failing at once, and one whose sequence went backwards (restarted empty, restored
      // from an old backup) is caught up by a Merkle walk instead of trusting the cursor.
      const targetHead = (await target.store.scan({ since: Number.MAX_SAFE_INTEGER, limit: 1, values: false, signal })).head;
      if (pair.targetHead !== undefined && targetHead < pair.targetHead) pair.needsCatchUp = true;
      pair.targetHead = targetHead;
      if (pair.needsCatchUp) {
        const [first, second] = [pair.from, pair.to].sort() as [string, string];
        const walkKey = `${first}\u0000${second}`;
        let walk = walks.get(walkKey);
        const shared = walk !== undefined;
        if (!walk) {
          walk = this.#walk(pair, targetHead, signal);
          walks.set(walkKey, walk);
        }
        const { diff, headBefore } = await walk;
        if (!shared) pair.metadataBytes += diff.metadataBytes;
        const keys = pair.from === first ? diff.aToB : diff.bToA;
        if (keys === 'all') await this.#sendAll(pair, source, delivery, signal);
        else await this.#sendKeys(pair, source, keys, pair.from === first ? diff.absentInB : diff.absentInA, delivery, signal);
        await delivery.drain();
        // Not this pair's head now: the other direction may have started the walk, and a write
        // since it read this source is in neither the diff nor, past such a cursor, the push.
        pair.cursor = Math.max(pair.cursor ?? 0, headBefore[pair.from]!);
        pair.needsCatchUp = false;
      }
      await this.#push(pair, source, delivery, signal);
      pair.succeed();
      const { written: records, bytes } = delivery;
      if (records > 0 || catchUp) {
        this.#events.emit('sync:completed', { from: pair.from, to: pair.to, kind: catchUp ? 'anti-entropy' : 'push', records, bytes, durationMillis: this.#clock.now() - started });
      }
      return { from: pair.from, to: pair.to, ok: true, records, bytes, catchUp };
    } catch (error) {
      // Nothing of this pair may still be writing when the round reports it.
      await delivery.settle();
      const { written: records, bytes } = delivery;
      if (this.#stop.signal.aborted) return { from: pair.from, to: pair.to, ok: false, records, bytes, catchUp };
      if (MeridianError.hasCode(error, 'CLOCK_SKEW')) {
        // Held, not failed: the pair stays in catch-up and retries next round.
        pair.needsCatchUp = true;
        return { from: pair.from, to: pair.to, ok: false, records, bytes, catchUp };
      }
      const failure = pair.fail(error, side);
      this.#events.emit('sync:error', { from: pair.from, to: pair.to, error: failure.info, attempt: failure.attempt, retryInMillis: failure.retryInMillis });
      return { from: pair.from, to: pair.to, ok: false, records, bytes, catchUp };
    }
  }

  /**
   * Catch-up of the keys the walk found, read in key order rather than the walk's key-hash order: neighbouring
   * keys tend to hold similar records, so a frame compresses far better (20 000 keys "item:<n>": 31x instead
   * of 12.5x with brotli, for the same CPU).
   */
  async #sendKeys(pair: SyncPair, source: RegionSlot, found: readonly string[], absent: ReadonlySet<string>, delivery: Delivery, signal: AbortSignal): Promise<void> {
    const keys = [...found].sort();
    for (let i = 0; i < keys.length; i += this.#o.maxBatchRecords) {
      const records = (await readOnly(source.store).getMany(keys.slice(i, i + this.#o.maxBatchRecords), { signal })).filter((r): r is StoredRecord => r !== undefined);
      this.#noteRead(pair, records);
      await this.#sendCatchUp(pair, records, delivery, absent);
    }
  }

  /**
   * Catch-up of a target that held nothing when the walk began: the source's records page by page, in the
   * order it wrote them (no key listing, no second read per key). Records written meanwhile come too; the
   * target skips what the push brings again. The target is not read before writing (it held nothing); a
   * record written there since is caught by the writes' compare-and-set. Having read the whole source, a
   * catch-up from the primary also completes the conflict queue a round is building.
   */
  async #sendAll(pair: SyncPair, source: RegionSlot, delivery: Delivery, signal: AbortSignal): Promise<void> {
    for (let since = 0; ; ) {
      const page = await readOnly(source.store).scan({ since, limit: this.#o.maxBatchRecords, signal });
      this.#noteRead(pair, page.records);
      await this.#sendCatchUp(pair, page.records, delivery, 'all');
      if (page.records.length === 0 || page.remaining === 0) break;
      since = page.records[page.records.length - 1]!.seq;
    }
    if (this.#deriving !== undefined && pair.from === this.#primary) this.#conflictsLoaded = true;
  }

  // Every record of a catch-up batch, in as many frames as maxBatchBytes needs; held by clock skew: CLOCK_SKEW.
  async #sendCatchUp(pair: SyncPair, records: readonly StoredRecord[], delivery: Delivery, absent: KnownAbsent): Promise<void> {
    for (let rest = records; rest.length > 0; ) {
      const sent = await delivery.send(rest, undefined, absent);
      if (sent.heldKey !== undefined) {
        await delivery.drain();
        throw new MeridianError('CLOCK_SKEW', `catch-up of ${pair.to} from ${pair.from} is held by "${sent.heldKey}"`);
      }
      rest = rest.slice(sent.done);
    }
  }

  /** The Merkle walk between a pair's regions; `targetHead` was read before it, the source's is read first. */
  async #walk(pair: SyncPair, targetHead: number, signal: AbortSignal): Promise<SharedWalk> {
    // The heads first: anything written during the walk is pushed afterwards, in either direction.
    const sourceHead = (await this.#slot(pair.from).store.scan({ since: Number.MAX_SAFE_INTEGER, limit: 1, values: false, signal })).head;
    const [first, second] = [pair.from, pair.to].sort() as [string, string];
    const diff = await merkleDiff({ region: first, store: this.#slot(first).store }, { region: second, store: this.#slot(second).store }, signal);
    return { diff, headBefore: { [pair.from]: sourceHead, [pair.to]: targetHead } };
  }

  // The source's own new writes, from the cursor on, frame after frame; the cursor moves as each frame is applied.
  async #push(pair: SyncPair, source: RegionSlot, delivery: Delivery, signal: AbortSignal): Promise<void> {
    pair.heldKey = undefined;
    if (pair.forward.size > 0) {
      // Merges settled in the source with another region's version winning: read now, so the latest is sent.
      const keys = [...pair.forward];
      pair.forward.clear(); // a merge during the send is sent next round
      try {
        await this.#sendKeys(pair, source, keys, NONE_ABSENT, delivery, signal);
        await delivery.drain();
      } catch (error) {
        for (const key of keys) pair.forward.add(key);
        throw error;
      }
    }
    // Where the next read starts: past what was sent, which may be ahead of the cursor (what was applied).
    let since = pair.cursor ?? 0;
    let settled = false;
    for (let round = 0; round < this.#o.maxRoundsPerTick && !settled; round++) {
      const page = await readOnly(source.store).scan({ since, origin: pair.from, limit: this.#o.maxBatchRecords, signal });
      this.#noteRead(pair, page.records);
      if (page.records.length === 0) {
        pair.pending = 0;
        pair.oldestPendingWall = undefined;
        settled = true;
        break;
      }
      const sent = await delivery.send(page.records, ({ lastSeq }) => {
        if (lastSeq !== undefined) pair.cursor = lastSeq;
      });
      if (sent.lastSeq !== undefined) since = sent.lastSeq;
      const left = page.records.slice(sent.done);
      pair.pending = left.length + page.remaining;
      pair.oldestPendingWall = left[0] ? hlcWall(left[0].version) : undefined;
      if (sent.heldKey !== undefined) pair.heldKey = sent.heldKey;
      settled = sent.heldKey !== undefined || pair.pending === 0;
    }
    await delivery.drain();
    if (settled) return;
    // Out of rounds for this tick: note the oldest change still waiting, for the lag.
    const next = await source.store.scan({ since: pair.cursor ?? 0, origin: pair.from, limit: 1, values: false, signal });
    pair.oldestPendingWall = next.records[0] ? hlcWall(next.records[0].version) : undefined;
  }

  #delivery(pair: SyncPair, target: RegionSlot, signal: AbortSignal): Delivery {
    return new Delivery({
      from: pair.from,
      to: pair.to,
      target: target.store,
      targetHlc: target.hlc,
      reconcile: { policy: this.#o.conflictPolicy, priorityOf: (id) => this.#regions.get(id)?.priority ?? Number.MAX_SAFE_INTEGER },
      encode: { compression: this.#o.compression, thresholdBytes: this.#o.compressionThresholdBytes },
      maxValueBytes: this.#o.maxValueBytes,
      maxBatchBytes: this.#o.maxBatchBytes,
      bucket: pair.bucket,
      signal,
      onSent: (bytes, rawBytes) => {
        pair.bytesSent += bytes;
        pair.rawBytes += rawBytes;
        this.#recorder.bytes(pair.from, pair.to, bytes);
      },
      onConflict: (key, outcome) => this.#onConflict(key, pair.to, outcome),
      onSkew: (key, skewMillis) =>
        this.#events.emit('sync:clock-skew', { from: pair.from, to: pair.to, key, skewMillis, maxClockSkewMillis: this.#o.maxClockSkewMillis }),
      onRejectedRecord: (key, error) => {
        pair.errors += 1;
        pair.lastError = errorInfo(error, this.#clock.now());
        this.#events.emit('sync:error', { from: pair.from, to: pair.to, error: pair.lastError, attempt: 1, retryInMillis: 0 });
      },
      onWritten: (record) => {
        pair.records += 1;
        // A resolution made elsewhere arriving: it covers every version that was pending.
        const pending = this.#conflicts.get(record.key);
        if (pending && !record.conflicts?.length && pending.versions.every((v) => (record.vv[v.origin] ?? '') >= v.version)) {
          this.#dequeue(record.key);
          this.#conflictsResolved += 1;
        }
      },
    });
  }

  #onConflict(key: string, regionId: string, outcome: Extract<Reconciled, { kind: 'conflict' }>): void {
    // Written here under another region's name: this region's push would not carry it (see SyncPair.forward).
    if (outcome.record.origin !== regionId) for (const pair of this.#pairs) if (pair.from === regionId) pair.forward.add(key);
    const id = `${key}\u0000${outcome.versions.map((v) => v.version).join(',')}`;
    if (!this.#seenConflicts.has(id)) {
      this.#seenConflicts.add(id);
      if (this.#seenConflicts.size > SEEN_LIMIT) this.#seenConflicts.delete(this.#seenConflicts.values().next().value!);
      this.#conflictsDetected += 1;
      this.#recorder.conflict();
      if (!outcome.queued) this.#conflictsResolved += 1;
    }
    if (outcome.queued) {
      const known = this.#conflicts.get(key);
      const regions = new Set(known?.regions ?? []);
      regions.add(regionId);
      this.#conflicts.set(key, { key, versions: outcome.versions, regions: [...regions].sort(), detectedAt: known?.detectedAt ?? this.#clock.now() });
    }
    this.#events.emit('sync:conflict', { key, regionId, versions: outcome.versions, winner: outcome.winner, queued: outcome.queued });
  }

  // The queue is the records' `conflicts` fields: rebuilt from the primary's store once per start.
  async #loadConflicts(signal: AbortSignal | undefined, detectedAt = this.#clock.now()): Promise<void> {
    const store = this.#slot(this.#primary).store;
    let since = 0;
    for (;;) {
      // Without values: a record that holds conflicts comes whole (the contract), the others need none here.
      const page = await readOnly(store).scan({ since, limit: 1000, values: false, signal });
      for (const record of page.records) this.#queueStored(record, detectedAt);
      if (page.records.length === 0 || page.remaining === 0) break;
      since = page.records[page.records.length - 1]!.seq;
    }
    this.#conflictsLoaded = true;
  }

  // Records a round read from the primary, while it builds the queue from them.
  #noteRead(pair: SyncPair, records: readonly StoredRecord[]): void {
    if (this.#deriving === undefined || this.#conflictsLoaded || pair.from !== this.#primary) return;
    for (const record of records) this.#queueStored(record, this.#deriving);
  }

  // A primary's record that holds conflicts joins the queue, unless its key is there already.
  #queueStored(record: StoredRecord, detectedAt: number): void {
    if (!record.conflicts?.length || this.#conflicts.has(record.key)) return;
    // A copy: the page may be the store's own records (lent), and the queue outlives the page.
    const versions: ReplicaVersion[] = cloneJson([{ value: record.value, deleted: record.deleted, version: record.version, origin: record.origin }, ...record.conflicts]).sort((a, b) =>
      a.version < b.version ? -1 : 1,
    );
    this.#conflicts.set(record.key, { key: record.key, versions, regions: [this.#primary], detectedAt });
    this.#loadedSeq.set(record.key, record.seq);
  }

  #dequeue(key: string): boolean {
    this.#loadedSeq.delete(key);
    return this.#conflicts.delete(key);
  }

  async #collectGarbage(signal: AbortSignal): Promise<void> {
    // Only while every pair is healthy: a region that is away may still hold the old value.
    if (this.#pairs.some((p) => p.failing)) return;
    const horizon = this.#clock.now() - this.#o.tombstoneTtlMillis;
    await Promise.all([...this.#regions.values()].map((r) => purgeTombstones(r.store, horizon, signal).catch(() => 0)));
  }

  #reportLag(): void {
    for (const state of this.status().regions) {
      this.#recorder.lag(state.regionId, state.lagMillis);
      const over = state.lagMillis > this.#o.lagThresholdMillis;
      if (over === this.#lagging.has(state.regionId)) continue;
      if (over) this.#lagging.add(state.regionId);
      else this.#lagging.delete(state.regionId);
      this.#events.emit('sync:lag', { regionId: state.regionId, lagMillis: state.lagMillis, pendingChanges: state.pendingChanges, lagging: over });
    }
  }

  #writable(regionId: string): ReplicaWriter {
    this.#assertOpen();
    const slot = this.#slot(regionId);
    if (this.#o.mode === 'active-passive' && regionId !== this.#primary) {
      throw new MeridianError('READ_ONLY_REGION', `${regionId} is a read replica in active-passive mode; write to the primary ${this.#primary}`, {
        details: { regionId, primary: this.#primary },
      });
    }
    return slot.writer;
  }

  #slot(regionId: string): RegionSlot {
    const slot = this.#regions.get(regionId);
    if (!slot) {
      throw new MeridianError('REGION_NOT_FOUND', `unknown region "${String(regionId)}"; sync knows ${[...this.#regions.keys()].join(', ')}`, { details: { regionId } });
    }
    return slot;
  }

  #assertOpen(): void {
    if (this.#stopped) throw new MeridianError('SHUT_DOWN', 'CrossRegionSync was shut down');
  }
}

function policyName(policy: ResolvedSyncOptions['conflictPolicy']): string {
  return typeof policy === 'function' ? 'custom' : policy;
}

function regionState(regionId: string, pairs: SyncPairStatus[]): SyncRegionState {
  const incoming = pairs.filter((p) => p.to === regionId);
  const touching = pairs.filter((p) => p.to === regionId || p.from === regionId);
  const lastErrors = touching.map((p) => p.lastError).filter((e) => e !== undefined);
  const syncs = incoming.map((p) => p.lastSyncAt);
  return {
    regionId,
    lagMillis: Math.max(0, ...incoming.map((p) => p.lagMillis)),
    pendingChanges: incoming.reduce((n, p) => n + p.pendingChanges, 0),
    lastSyncAt: syncs.length === 0 || syncs.some((s) => s === undefined) ? undefined : Math.min(...(syncs as number[])),
    reachable: !pairs.some((p) => p.unreachable === regionId),
    bytesSent: pairs.filter((p) => p.from === regionId).reduce((n, p) => n + p.bytesSent, 0),
    bytesReceived: incoming.reduce((n, p) => n + p.bytesSent, 0),
    errors: touching.reduce((n, p) => n + p.errors, 0),
    lastError: lastErrors.sort((a, b) => b.at - a.at)[0],
  };
}
