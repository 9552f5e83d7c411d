import type { Disposable } from '../events/disposable.js';
import type { FailoverKind, FailoverProgress } from './failover-types.js';

/**
 * A running failover, failback or drill, shaped like @azure/core-lro's poller:
 * awaitable, with progress and cancel. Awaiting rejects with the coded error
 * when it failed (after rolling back).
 */
export interface FailoverOperation<R> extends PromiseLike<R> {
  /** Operation id. */
  readonly id: string;
  /** What it is. */
  readonly kind: FailoverKind;
  /** Settles with the report (rejects with FAILOVER_FAILED after a rollback). */
  readonly done: Promise<R>;
  /** Called for every step change. */
  onProgress(listener: (progress: FailoverProgress) => void): Disposable;
  /** Stops it and rolls back what was done. */
  cancel(reason?: string): void;
}

/** @internal The concrete handle. */
export class OperationHandle<R> implements FailoverOperation<R> {
  readonly controller = new AbortController();
  readonly #listeners = new Set<(progress: FailoverProgress) => void>();
  done!: Promise<R>;

  constructor(
    readonly id: string,
    readonly kind: FailoverKind,
  ) {}

  /** @internal */
  start(run: (handle: OperationHandle<R>) => Promise<R>): this {
    this.done = run(this);
    // Awaiting is optional for a caller; an unobserved failure must not crash the host.
    this.done.catch(() => undefined);
    return this;
  }

  then<A = R, B = never>(onFulfilled?: ((value: R) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.done.then(onFulfilled, onRejected);
  }

  onProgress(listener: (progress: FailoverProgress) => void): Disposable {
    this.#listeners.add(listener);
    return { dispose: () => this.#listeners.delete(listener) };
  }

  cancel(reason = 'cancelled by caller'): void {
    this.controller.abort(new Error(reason));
  }

  /** @internal */
  report(progress: FailoverProgress): void {
    for (const listener of this.#listeners) {
      try {
        listener(progress);
      } catch {
        // A progress listener's bug must not break the failover.
      }
    }
  }
}
