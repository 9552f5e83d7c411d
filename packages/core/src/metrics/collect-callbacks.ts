import type { Disposable } from '../events/disposable.js';

/**
 * The `onCollect` callbacks of one `Metrics`, run before each read. A callback
 * that throws is reported on stderr and the others still run: a scrape never
 * fails because one engine's hook did.
 */
export class CollectCallbacks {
  readonly #callbacks = new Set<() => void>();

  /** Registers `callback`; the Disposable removes it. */
  add(callback: () => void): Disposable {
    if (typeof callback !== 'function') throw new TypeError('onCollect needs a function');
    // A wrapper per registration: the same function registered twice runs twice and is removed once each.
    const entry = (): void => callback();
    this.#callbacks.add(entry);
    return { dispose: () => void this.#callbacks.delete(entry) };
  }

  /** Runs every callback. */
  run(): void {
    for (const callback of this.#callbacks) {
      try {
        callback();
      } catch (error) {
        console.error('[meridian] a metrics collect callback threw:', error);
      }
    }
  }
}
