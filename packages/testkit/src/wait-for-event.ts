/** Anything with Meridian-style `on(name, listener) → Disposable`. */
export interface Subscribable<M> {
  on<K extends keyof M & string>(name: K, listener: (payload: M[K]) => void): { dispose(): void };
}

/**
 * Resolves with the next `name` event whose payload passes `filter`; rejects after
 * `timeoutMillis` (real time, default 5000) naming the event it waited for, so a
 * test that would hang fails with a reason instead.
 */
export function waitForEvent<M, K extends keyof M & string>(
  source: Subscribable<M>,
  name: K,
  options: { timeoutMillis?: number; filter?: (payload: M[K]) => boolean } = {},
): Promise<M[K]> {
  const timeoutMillis = options.timeoutMillis ?? 5000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMillis} ms waiting for "${name}"`));
    }, timeoutMillis);
    const sub = source.on(name, (payload) => {
      if (options.filter && !options.filter(payload)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(payload);
    });
  });
}

/** Collects every `name` event into an array (for asserting sequences). */
export function collectEvents<M, K extends keyof M & string>(source: Subscribable<M>, name: K): { events: M[K][]; dispose(): void } {
  const events: M[K][] = [];
  const sub = source.on(name, (payload) => events.push(payload));
  return { events, dispose: () => sub.dispose() };
}
