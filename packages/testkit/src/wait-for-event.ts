import type { EventSource, EventsOf } from '@meridian/core';

/** Anything with Meridian-style typed `on(name, listener) → Disposable`. */
export type Subscribable<M extends object> = Pick<EventSource<M>, 'on' | '~events'>;

export type { EventsOf };

/**
 * Resolves with the next `name` event whose payload passes `filter`; rejects after
 * `timeoutMillis` (real time, default 5000) naming the event it waited for, so a
 * test that would hang fails with a reason instead.
 */
export function waitForEvent<S extends Subscribable<EventsOf<S>>, K extends keyof EventsOf<S> & string>(
  source: S,
  name: K,
  options: { timeoutMillis?: number; filter?: (payload: EventsOf<S>[K]) => boolean } = {},
): Promise<EventsOf<S>[K]> {
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
export function collectEvents<S extends Subscribable<EventsOf<S>>, K extends keyof EventsOf<S> & string>(
  source: S,
  name: K,
): { events: EventsOf<S>[K][]; dispose(): void } {
  const events: EventsOf<S>[K][] = [];
  const sub = source.on(name, (payload) => events.push(payload));
  return { events, dispose: () => sub.dispose() };
}
