import { Dispatcher } from 'undici';
import { MeridianError, TrafficRouter, type ForwardResponse, type TrafficRouterOptions } from '@meridian/core';

/** Options of {@link createRegionDispatcher}: the data plane's, plus what this adapter adds. */
export interface RegionDispatcherOptions extends TrafficRouterOptions {
  /** Add `x-meridian-region` and `x-meridian-attempts` to responses. Default false (the app's responses stay as the region sent them). */
  responseHeaders?: boolean;
}

// The two handler shapes undici calls dispatchers with: the newer controller-based
// one (undici 7 interceptors) and the older callback one (`request`, `fetch`).
interface Controller {
  abort(reason?: Error): void;
  pause(): void;
  resume(): void;
  readonly aborted: boolean;
  readonly paused: boolean;
  readonly reason: Error | null;
}
interface NewHandler {
  onRequestStart?(controller: Controller, context: unknown): void;
  onResponseStart?(controller: Controller, statusCode: number, headers: Record<string, string | string[]>, statusMessage?: string): void;
  onResponseData?(controller: Controller, chunk: Buffer): void;
  onResponseEnd?(controller: Controller, trailers: Record<string, string | string[]>): void;
  onResponseError?(controller: Controller, error: Error): void;
}
interface OldHandler {
  onConnect?(abort: (reason?: Error) => void, context?: unknown): void;
  onHeaders?(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean | void;
  onData?(chunk: Buffer): boolean | void;
  onComplete?(trailers: Buffer[] | null): void;
  onError?(error: Error): void;
}

/**
 * An undici `Dispatcher` whose requests go to the best region through core's
 * `TrafficRouter`: the URL's origin only names the service, its path and query
 * go to the chosen region's endpoint. A refused connection is retried on
 * another region whatever the method; idempotent requests also after a reset,
 * a timeout or a 5xx in `retryOnStatus`; every outcome feeds the HealthMonitor.
 *
 * ```ts
 * const dispatcher = createRegionDispatcher({ regions, monitor, weights: () => provider.traffic() });
 * const res = await fetch('http://orders/api/orders/42', { dispatcher }); // undici's fetch
 * ```
 */
export class RegionDispatcher extends Dispatcher {
  /** The data plane behind it: stats, retry budget, events. */
  readonly traffic: TrafficRouter;
  readonly #responseHeaders: boolean;
  #closed = false;

  constructor(options: RegionDispatcherOptions) {
    super();
    const { responseHeaders, ...traffic } = options;
    this.#responseHeaders = responseHeaders ?? false;
    this.traffic = new TrafficRouter(traffic);
  }

  /** @internal undici calls this for every request. */
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const h = asNewHandler(handler as NewHandler & OldHandler);
    const abort = new AbortController();
    let body: ForwardResponse['body'] | undefined;
    let paused = false;
    let reason: Error | null = null;
    const controller: Controller = {
      abort(why) {
        reason = why ?? new MeridianError('ABORTED', 'request aborted');
        abort.abort(reason);
        body?.destroy();
      },
      pause() {
        paused = true;
        body?.pause();
      },
      resume() {
        paused = false;
        body?.resume();
      },
      get aborted() {
        return abort.signal.aborted;
      },
      get paused() {
        return paused;
      },
      get reason() {
        return reason;
      },
    };
    if (this.#closed) {
      queueMicrotask(() => h.onResponseError?.(controller, new MeridianError('SHUT_DOWN', 'region dispatcher is closed')));
      return false;
    }
    const userSignal = (options as { signal?: AbortSignal | { aborted: boolean; addEventListener?: unknown } }).signal;
    if (userSignal && typeof (userSignal as AbortSignal).addEventListener === 'function') {
      (userSignal as AbortSignal).addEventListener('abort', () => controller.abort((userSignal as AbortSignal).reason as Error), { once: true });
    }
    h.onRequestStart?.(controller, {});
    void (async () => {
      try {
        const response = await this.traffic.forward({
          method: options.method,
          path: options.path,
          headers: headerRecord(options.headers),
          body: options.body as never,
          signal: abort.signal,
        });
        body = response.body;
        const headers = { ...response.headers } as Record<string, string | string[]>;
        if (this.#responseHeaders) {
          headers['x-meridian-region'] = response.regionId;
          headers['x-meridian-attempts'] = String(response.attempts);
        }
        if (abort.signal.aborted) {
          response.body.destroy();
          return;
        }
        h.onResponseStart?.(controller, response.statusCode, headers, '');
        if (paused) response.body.pause();
        response.body.on('data', (chunk: Buffer) => h.onResponseData?.(controller, chunk));
        response.body.once('end', () => h.onResponseEnd?.(controller, {}));
        response.body.once('error', (error: Error) => h.onResponseError?.(controller, error));
      } catch (error) {
        h.onResponseError?.(controller, error as Error);
      }
    })();
    return true;
  }

  /** Lets requests in flight finish (2 s at most), then closes every upstream connection. Idempotent; awaitable. */
  override async close(): Promise<void> {
    this.#closed = true;
    await this.traffic.close();
  }

  /** Calls `close()`, for `await using` (undici's Dispatcher has no `Symbol.asyncDispose` of its own). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Closes every upstream connection now. Idempotent. */
  override async destroy(): Promise<void> {
    this.#closed = true;
    await this.traffic.close(0);
  }
}

/** Creates a {@link RegionDispatcher}; pass it as `dispatcher` to undici's `fetch`, `request` or `stream`. */
export function createRegionDispatcher(options: RegionDispatcherOptions): RegionDispatcher {
  return new RegionDispatcher(options);
}

// Headers arrive as an object, a flat [name, value, ...] array, or an iterable of pairs.
function headerRecord(input: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const add = (name: unknown, value: unknown) => {
    if (value === undefined || value === null) return;
    const key = String(name).toLowerCase();
    const text = Array.isArray(value) ? value.map(String) : String(value);
    const existing = out[key];
    out[key] = existing === undefined ? text : [...[existing].flat(), ...[text].flat()];
  };
  if (input === null || input === undefined) return out;
  if (Array.isArray(input)) {
    if (input.length > 0 && Array.isArray(input[0])) for (const [n, v] of input as Array<[unknown, unknown]>) add(n, v);
    else for (let i = 0; i + 1 < input.length; i += 2) add(input[i], input[i + 1]);
    return out;
  }
  if (typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function' && typeof input !== 'string') {
    for (const [n, v] of input as Iterable<[unknown, unknown]>) add(n, v);
    return out;
  }
  for (const [n, v] of Object.entries(input as Record<string, unknown>)) add(n, v);
  return out;
}

// The older callback handler seen through the controller-based one.
function asNewHandler(handler: NewHandler & OldHandler): NewHandler {
  if (typeof handler.onRequestStart === 'function' || typeof handler.onResponseStart === 'function') return handler;
  const raw = (record: Record<string, string | string[]>): Buffer[] =>
    Object.entries(record).flatMap(([name, value]) => [value].flat().flatMap((v) => [Buffer.from(name, 'latin1'), Buffer.from(v, 'latin1')]));
  return {
    onRequestStart: (c, context) => handler.onConnect?.((why) => c.abort(why), context),
    onResponseStart: (c, status, headers, text) => {
      if (handler.onHeaders?.(status, raw(headers), () => c.resume(), text ?? '') === false) c.pause();
    },
    onResponseData: (c, chunk) => {
      if (handler.onData?.(chunk) === false) c.pause();
    },
    onResponseEnd: () => handler.onComplete?.([]),
    onResponseError: (_c, error) => handler.onError?.(error),
  };
}
