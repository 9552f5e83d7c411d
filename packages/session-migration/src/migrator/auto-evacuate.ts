import type { Disposable, FailoverReport, HealthTransition } from '@meridian/core';
import type { SessionMigrator } from './session-migrator.js';

/** Anything that emits one named event with a typed payload (a Meridian engine fits). */
export interface Emits<N extends string, P> {
  /** Subscribes; the Disposable unsubscribes. */
  on(name: N, listener: (payload: P) => void): Disposable;
}

/** A router's `route:affinity-broken` payload (the GeoRouter's). */
export interface AffinityBroken {
  /** Session id. */
  sessionId: string;
  /** Region it was pinned to. */
  from: string;
  /** Region the router sends it to now. */
  to: string;
}

/** A HealthMonitor's transitions, as {@link autoEvacuate} listens to them. */
export type HealthTransitions = Emits<'region:degraded', HealthTransition> & Emits<'region:unhealthy', HealthTransition> & Emits<'region:healthy', HealthTransition>;

/** Sources that trigger evacuations, recoveries and single migrations. */
export interface AutoEvacuateOptions {
  /** The migrator that moves the sessions. */
  migrator: SessionMigrator;
  /** A HealthMonitor: its transitions trigger `onDegraded`, `onUnhealthy` and `onHealthy`. */
  monitor?: HealthTransitions;
  /** A FailoverManager: an automatic `failover:completed` applies `onUnhealthy` to the regions traffic left. */
  failover?: Emits<'failover:completed', FailoverReport>;
  /**
   * On `region:degraded` (a brownout: the region still answers): `evacuate`
   * moves its sessions live, losing nothing. Default `evacuate`.
   */
  onDegraded?: 'evacuate' | 'ignore';
  /**
   * On `region:unhealthy` (and an automatic failover away from a region):
   * `recover` restores its sessions from their checkpoints elsewhere (a dead
   * region cannot be snapshotted; needs a `SessionCheckpointer`); `evacuate`
   * tries live migrations instead. Default `recover`.
   */
  onUnhealthy?: 'recover' | 'evacuate' | 'ignore';
  /** On `region:healthy`: `reconcile` tells a region that came back which copies are stale. Default `reconcile`. */
  onHealthy?: 'reconcile' | 'ignore';
  /**
   * With `onHealthy: reconcile`: sessions still registered in the region that
   * came back but no longer held by it (their recovery found no target, and the
   * region restarted without them) are restored there from their checkpoints,
   * or reported lost by id (`reconcileRegion`'s `restoreMissing`; the adapter
   * must implement `list`). Default false: they stay suspended.
   */
  restoreMissing?: boolean;
  /** For recoveries by `nearest-healthy`: where sessions without `metadata.clientIp` go. */
  fallbackTo?: string;
  /** For evacuations and recoveries by `nearest-healthy`: honour each region's residency. Default false. */
  residency?: boolean;
  /** A GeoRouter: `route:affinity-broken` moves that one session to where the router now sends it. */
  router?: Emits<'route:affinity-broken', AffinityBroken>;
  /** Where evacuated sessions go: a region id, or `nearest-healthy` (needs the migrator's router). Default `nearest-healthy`. */
  to?: string;
  /** Told about every evacuation, recovery, reconciliation or migration this wiring starts and how it ended. */
  onOutcome?: (outcome: AutoEvacuationOutcome) => void;
}

/** What one piece of work started by {@link autoEvacuate} did. */
export interface AutoEvacuationOutcome {
  /** The event that started it (`region:degraded`, `region:unhealthy`, `failover:completed`, `region:healthy`, `route:affinity-broken`). */
  trigger: string;
  /** What was done. */
  action: 'evacuate' | 'recover' | 'reconcile' | 'migrate';
  /** The region, for region-wide work. */
  regionId?: string;
  /** The session, for a single migration. */
  sessionId?: string;
  /** Sessions moved live. */
  migrated: number;
  /** Sessions restored from checkpoints (by a reconcile with `restoreMissing`: in the region that came back). */
  recovered: number;
  /** Sessions reported lost. */
  lost: number;
  /** Sessions not moved (still where they were, or suspended with their checkpoint kept). */
  failed: number;
  /** Highest staleness of a recovered session, ms. */
  maxStalenessMillis?: number;
  /** Stale copies removed by a reconciliation. */
  discarded?: number;
  /** Why the work itself failed, when it did. */
  error?: string;
}

/** The wiring {@link autoEvacuate} returns: close it to unwire. */
export interface AutoEvacuation extends Disposable {
  /**
   * Unwires every source, then waits for the evacuations and migrations this
   * wiring started (their `onOutcome` reports come first). Idempotent; awaitable.
   */
  close(): Promise<void>;
  /** Calls `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
  /** @deprecated Use `close()` (this unwires at once and does not wait). */
  dispose(): void;
}

/**
 * Wires health, failover and routing events to the migrator, so sessions leave
 * a failing region without anyone calling `evacuate`: a degraded region is
 * evacuated live, an unhealthy one recovered from checkpoints, a region that
 * comes back reconciled (its stale copies discarded). One piece of work per
 * region at a time; a trigger that arrives meanwhile is dropped (the running
 * work covers the region's sessions). Returns the wiring; `close()` it.
 */
export function autoEvacuate(options: AutoEvacuateOptions): AutoEvacuation {
  const { migrator } = options;
  let closed = false;
  const started = new Set<Promise<void>>();
  const track = (work: Promise<void>): void => {
    started.add(work);
    const done = (): void => void started.delete(work);
    work.then(done, done);
  };
  const report = options.onOutcome ?? (() => undefined);
  const zero = { migrated: 0, recovered: 0, lost: 0, failed: 0 };
  const route = { ...(options.residency ? { residency: true } : {}) };
  type Action = 'evacuate' | 'recover' | 'reconcile';
  // Per region: the work running, and at most one different piece of work waiting for it (the latest trigger).
  const running = new Map<string, { action: Action; next?: { trigger: string; action: Action } }>();
  const perRegion = (regionId: string, trigger: string, action: Action): void => {
    const current = running.get(regionId);
    if (current) {
      // The same work already covers the region's sessions; different work (a recovery, then a reconcile) runs after it.
      if (current.action !== action) current.next = { trigger, action };
      return;
    }
    const sessions = migrator.sessions(regionId);
    if (action === 'evacuate' && !sessions.some((s) => s.state === 'active')) return;
    if (action === 'recover' && !sessions.some((s) => s.state !== 'lost')) return;
    const slot: { action: Action; next?: { trigger: string; action: Action } } = { action };
    running.set(regionId, slot);
    const base = { trigger, action, regionId };
    let work: Promise<void>;
    if (action === 'evacuate') {
      work = migrator.evacuate(regionId, { ...(options.to ? { to: options.to } : {}), ...route }).then((r) => report({ ...base, ...zero, migrated: r.migrated.length, failed: r.failed.length }));
    } else if (action === 'recover') {
      work = migrator
        .recoverRegion(regionId, { ...(options.to ? { to: options.to } : {}), ...(options.fallbackTo ? { fallbackTo: options.fallbackTo } : {}), ...route })
        .then((r) => report({ ...base, ...zero, recovered: r.recovered.length, lost: r.lost.length, failed: r.failed.length, maxStalenessMillis: r.maxStalenessMillis }));
    } else {
      work = migrator
        .reconcileRegion(regionId, options.restoreMissing ? { restoreMissing: true } : {})
        .then((r) => report({ ...base, ...zero, recovered: r.restored.length, lost: r.lost.length, failed: r.failed.length, discarded: r.discarded.length }));
    }
    track(
      work
        .catch((error: unknown) => report({ ...base, ...zero, failed: migrator.sessions(regionId).length, error: error instanceof Error ? error.message : String(error) }))
        .finally(() => {
          running.delete(regionId);
          if (slot.next && !closed) perRegion(regionId, slot.next.trigger, slot.next.action);
        }),
    );
  };
  const onDegraded = options.onDegraded ?? 'evacuate';
  const onUnhealthy = options.onUnhealthy ?? 'recover';
  const onHealthy = options.onHealthy ?? 'reconcile';
  const subscriptions: Disposable[] = [];
  if (options.monitor) {
    const monitor = options.monitor;
    if (onDegraded !== 'ignore') subscriptions.push(monitor.on('region:degraded', (e) => perRegion(e.regionId, 'region:degraded', onDegraded)));
    if (onUnhealthy !== 'ignore') subscriptions.push(monitor.on('region:unhealthy', (e) => perRegion(e.regionId, 'region:unhealthy', onUnhealthy)));
    // Only a region coming back from unhealthy can hold stale copies.
    if (onHealthy !== 'ignore') subscriptions.push(monitor.on('region:healthy', (e) => e.previous === 'unhealthy' && perRegion(e.regionId, 'region:healthy', onHealthy)));
  }
  if (options.failover && onUnhealthy !== 'ignore') {
    subscriptions.push(
      options.failover.on('failover:completed', (r) => {
        if (r.kind !== 'automatic') return;
        for (const regionId of r.from) if (r.weightsAfter[regionId] === 0) perRegion(regionId, 'failover:completed', onUnhealthy);
      }),
    );
  }
  if (options.router) {
    subscriptions.push(
      options.router.on('route:affinity-broken', (e) => {
        const session = migrator.getSession(e.sessionId);
        if (!session || session.region !== e.from || session.state !== 'active') return;
        const base = { trigger: 'route:affinity-broken', action: 'migrate' as const, sessionId: e.sessionId };
        track(
          Promise.resolve(migrator.migrate(e.sessionId, e.to)).then(
            () => report({ ...base, ...zero, migrated: 1 }),
            (error: unknown) => report({ ...base, ...zero, failed: 1, error: error instanceof Error ? error.message : String(error) }),
          ),
        );
      }),
    );
  }
  const unwire = (): void => subscriptions.splice(0).forEach((s) => s.dispose());
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      unwire();
      await Promise.allSettled([...started]);
    })();
    return closing;
  };
  return { close, [Symbol.asyncDispose]: close, dispose: unwire };
}
