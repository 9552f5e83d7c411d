import { EventEmitter } from 'eventemitter3';
import type { Disposable } from './disposable.js';

/** Payload of the `error` event every engine emits when a listener throws. */
export interface ListenerErrorEvent {
  /** The event whose listener threw. */
  event: string;
  /** What the listener threw. */
  error: unknown;
}

/** The `error` event every engine carries besides its own. */
export interface ErrorEvents {
  /** A listener threw; the engine went on. */
  error: ListenerErrorEvent;
}

/** An engine's event map plus the `error` event. */
export type WithErrorEvent<M> = M & ErrorEvents;

/** The event map of an engine, read from its type-only `~events` marker. */
export type EventsOf<S> = S extends HasEventMap<infer M> ? NonNullable<M> : never;

/** Anything carrying the type-only `~events` marker. */
export interface HasEventMap<M> {
  /** Type-only: the event map. Never set at run time. */
  readonly '~events'?: M;
}

/** A map from event name to payload type; one per engine. */
export type EventMap = object;

/** A listener for one event of a map. */
export type Listener<T> = (payload: T) => void;

/** The public, subscribe-only face of an engine's events. */
export interface EventSource<M extends EventMap> {
  /**
   * Type-only marker naming the event map, so helpers can infer payload types
   * (generic methods alone defeat TypeScript's inference). Never set at run time.
   */
  readonly '~events'?: M;
  /** Subscribe; the returned Disposable unsubscribes. */
  on<K extends keyof M & string>(name: K, listener: Listener<M[K]>): Disposable;
  /** Subscribe to the next occurrence only. */
  once<K extends keyof M & string>(name: K, listener: Listener<M[K]>): Disposable;
}

/**
 * Typed events over a private eventemitter3. A listener that throws is caught and
 * reported through `error` (or `onUnhandled` when nobody listens to `error`), so a
 * host's bug in a listener never breaks the engine that emitted.
 */
export class TypedEmitter<M extends EventMap> implements EventSource<WithErrorEvent<M>> {
  declare readonly '~events'?: WithErrorEvent<M>;
  readonly #ee = new EventEmitter();
  readonly #onUnhandled: (event: ListenerErrorEvent) => void;

  constructor(onUnhandled?: (event: ListenerErrorEvent) => void) {
    this.#onUnhandled =
      onUnhandled ??
      ((e) => {
        // Last resort: say it once on stderr rather than lose it or crash the host.
        console.error(`[meridian] listener for "${e.event}" threw:`, e.error);
      });
  }

  on<K extends keyof (WithErrorEvent<M>) & string>(
    name: K,
    listener: Listener<(WithErrorEvent<M>)[K]>,
  ): Disposable {
    this.#ee.on(name, listener as (p: unknown) => void);
    let done = false;
    return {
      dispose: () => {
        if (done) return;
        done = true;
        this.#ee.off(name, listener as (p: unknown) => void);
      },
    };
  }

  once<K extends keyof (WithErrorEvent<M>) & string>(
    name: K,
    listener: Listener<(WithErrorEvent<M>)[K]>,
  ): Disposable {
    const sub = this.on(name, (payload) => {
      sub.dispose();
      listener(payload);
    });
    return sub;
  }

  /** Number of listeners for `name` (lets engines skip building unused payloads). */
  listenerCount(name: keyof M & string): number {
    return this.#ee.listenerCount(name);
  }

  /** Emits to every listener; a throwing listener is reported, the rest still run. */
  emit<K extends keyof M & string>(name: K, payload: M[K]): void {
    const listeners = this.#ee.listeners(name) as Array<(p: unknown) => void>;
    for (const listener of listeners) {
      try {
        listener(payload);
      } catch (error) {
        this.#reportListenerError(name, error);
      }
    }
  }

  /** Removes every listener (used by shutdown). */
  clear(): void {
    this.#ee.removeAllListeners();
  }

  #reportListenerError(event: string, error: unknown): void {
    const report: ListenerErrorEvent = { event, error };
    const errorListeners = this.#ee.listeners('error') as Array<(p: unknown) => void>;
    if (event === 'error' || errorListeners.length === 0) {
      this.#onUnhandled(report);
      return;
    }
    for (const listener of errorListeners) {
      try {
        listener(report);
      } catch (inner) {
        this.#onUnhandled({ event: 'error', error: inner });
      }
    }
  }
}
