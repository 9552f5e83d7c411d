/**
 * Runs the operations on one key one after another (each after the previous
 * one settled, whatever its outcome), operations on different keys side by
 * side: what makes a store's conditional writes linearizable per key within
 * the process. Keys with nothing queued hold no memory.
 */
export class KeySerializer {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.#tails.set(key, settled);
    void settled.then(() => {
      if (this.#tails.get(key) === settled) this.#tails.delete(key);
    });
    return next;
  }
}
