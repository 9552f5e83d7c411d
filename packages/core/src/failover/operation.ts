import type { Disposable } from '../events/disposable.js';
import type { FailoverKind, FailoverProgress } from './failover-types.js';

/**
 * A long-running operation shaped like @azure/core-lro's poller: awaitable,
 * with progress and cancel. Awaiting rejects with the coded error when it failed
 * (after rolling back). Failovers, drills and session migrations are all this.
 */
export interface Operation<R, P = unknown> extends PromiseLike<R> {
  /** Operation id. */
  readonly id: string;
  /** What it is (`planned`, `drill`, `migration` ...). */
  readonly kind: string;
  /** Settles with the result (rejects with a coded error after a rollback). */
  readonly done: Promise<R>;
  /** Called for every step change. */
  onProgress(listener: (progress: P) => void): Disposable;
  /** Stops it and rolls back what was done. */
  cancel(reason?: string): void;
}

/** A running failover, failback or drill. */
export interface FailoverOperation<R> extends Operation<R, FailoverProgress> {
  /** What it is. */
  readonly kind: FailoverKind;
}

/** The concrete handle engines return: start it with the operation's body. */
export class OperationHandle<R, P = unknown, K extends string = string> implements Operation<R, P> {
  /** Aborted by `cancel()`; the body passes its signal to every step. */
  readonly controller = new AbortController();
  readonly #listeners = new Set<(progress: P) => void>();
  /** Settles with the body's result. */
  done!: Promise<R>;

  constructor(
    readonly id: string,
    readonly kind: K,
  ) {}

  /** Runs the body once; returns the handle. */
  start(run: (handle: OperationHandle<R, P, K>) => Promise<R>): this {
    this.done = run(this);
    // Awaiting is optional for a caller; an unobserved failure must not crash the host.
    this.done.catch(() => undefined);
    return this;
  }

  then<A = R, B = never>(onFulfilled?: ((value: R) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.done.then(onFulfilled, onRejected);
  }

  onProgress(listener: (progress: P) => void): Disposable {
    this.#listeners.add(listener);
    return { dispose: () => this.#listeners.delete(listener) };
  }

  cancel(reason = 'cancelled by caller'): void {
    this.controller.abort(new Error(reason));
  }

  /** Tells every progress listener; a listener's bug never breaks the operation. */
  report(progress: P): void {
    for (const listener of this.#listeners) {
      try {
        listener(progress);
      } catch {
        // ignored on purpose: see above
      }
    }
  }
}
