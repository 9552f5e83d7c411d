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

/** Sources that trigger evacuations and single migrations. */
export interface AutoEvacuateOptions {
  /** The migrator that moves the sessions. */
  migrator: SessionMigrator;
  /** A HealthMonitor: `region:unhealthy` evacuates that region. */
  monitor?: Emits<'region:unhealthy', HealthTransition>;
  /** A FailoverManager: an automatic `failover:completed` evacuates the regions traffic left. */
  failover?: Emits<'failover:completed', FailoverReport>;
  /** A GeoRouter: `route:affinity-broken` moves that one session to where the router now sends it. */
  router?: Emits<'route:affinity-broken', AffinityBroken>;
  /** Where evacuated sessions go: a region id, or `nearest-healthy` (needs the migrator's router). Default `nearest-healthy`. */
  to?: string;
  /** Told about every evacuation or migration this wiring starts and how it ended. */
  onOutcome?: (outcome: { trigger: string; regionId?: string; sessionId?: string; migrated: number; failed: number }) => void;
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
 * a failing region without anyone calling `evacuate`. A region already being
 * evacuated is not evacuated twice at once. Sessions whose source is gone
 * entirely cannot be snapshotted there: they are reported as failed, not lost.
 * Returns the wiring; `close()` it to unwire everything.
 */
export function autoEvacuate(options: AutoEvacuateOptions): AutoEvacuation {
  const { migrator } = options;
  const running = new Set<string>();
  const started = new Set<Promise<void>>();
  const track = (work: Promise<void>): void => {
    started.add(work);
    const done = (): void => void started.delete(work);
    work.then(done, done);
  };
  const report = options.onOutcome ?? (() => undefined);
  const evacuate = (regionId: string, trigger: string): void => {
    if (running.has(regionId) || migrator.sessions(regionId).length === 0) return;
    running.add(regionId);
    track(
      migrator
        .evacuate(regionId, { ...(options.to ? { to: options.to } : {}) })
        .then(
          (r) => report({ trigger, regionId, migrated: r.migrated.length, failed: r.failed.length }),
          () => report({ trigger, regionId, migrated: 0, failed: migrator.sessions(regionId).length }),
        )
        .finally(() => running.delete(regionId)),
    );
  };
  const subscriptions: Disposable[] = [];
  if (options.monitor) subscriptions.push(options.monitor.on('region:unhealthy', (e) => evacuate(e.regionId, 'region:unhealthy')));
  if (options.failover) {
    subscriptions.push(
      options.failover.on('failover:completed', (r) => {
        if (r.kind !== 'automatic') return;
        for (const regionId of r.from) if (r.weightsAfter[regionId] === 0) evacuate(regionId, 'failover:completed');
      }),
    );
  }
  if (options.router) {
    subscriptions.push(
      options.router.on('route:affinity-broken', (e) => {
        const session = migrator.getSession(e.sessionId);
        if (!session || session.region !== e.from || session.state !== 'active') return;
        track(
          Promise.resolve(migrator.migrate(e.sessionId, e.to)).then(
            () => report({ trigger: 'route:affinity-broken', sessionId: e.sessionId, migrated: 1, failed: 0 }),
            () => report({ trigger: 'route:affinity-broken', sessionId: e.sessionId, migrated: 0, failed: 1 }),
          ),
        );
      }),
    );
  }
  const unwire = (): void => subscriptions.splice(0).forEach((s) => s.dispose());
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      unwire();
      await Promise.allSettled([...started]);
    })();
    return closing;
  };
  return { close, [Symbol.asyncDispose]: close, dispose: unwire };
}
