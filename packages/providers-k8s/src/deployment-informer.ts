import { Watch } from '@kubernetes/client-node';
import { MeridianError, type Clock, type TimerHandle } from '@meridian/core';
import type { KubeClient } from './kube-client.js';
import type { KubeDeployment } from './deployment-state.js';

/** What changed in the cache. */
export interface InformerChange {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeDeployment;
}

/** Settings of one informer. */
export interface InformerSettings {
  namespace: string;
  labelSelector: string;
  clock: Clock;
  baseDelayMillis: number;
  maxDelayMillis: number;
  /** Server-side watch timeout; the informer resumes from the last resourceVersion after it. Default 300. */
  watchTimeoutSeconds?: number;
  onChange(change: InformerChange): void;
  /** A list or watch failed (the informer keeps trying). */
  onError(error: MeridianError): void;
  /** A watch is open, from `resourceVersion`. */
  onConnected(resourceVersion: string): void;
}

interface DeploymentList {
  metadata?: { resourceVersion?: string };
  items?: KubeDeployment[];
}

/**
 * List + watch of the Deployments of one namespace and label selector, kept in
 * a cache: resumes from the last resourceVersion (bookmarks included) after a
 * watch ends, re-lists on 410 Gone, and reconnects with exponential backoff on
 * the injected clock when the cluster cannot be reached.
 */
export class DeploymentInformer {
  readonly #client: KubeClient;
  readonly #settings: InformerSettings;
  readonly #cache = new Map<string, KubeDeployment>();
  readonly #waiters = new Set<() => void>();
  #resourceVersion = '';
  #stopped = false;
  #started: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #watchAbort: AbortController | undefined;
  #timer: TimerHandle | undefined;
  #pendingRetry: { relist: boolean } | undefined;
  #failures = 0;
  #lastError: MeridianError | undefined;
  #synced = false;

  constructor(client: KubeClient, settings: InformerSettings) {
    this.#client = client;
    this.#settings = settings;
  }

  /** True once a list succeeded. */
  get synced(): boolean {
    return this.#synced;
  }

  /** The error of the last failed list or watch, cleared when one succeeds. */
  get lastError(): MeridianError | undefined {
    return this.#lastError;
  }

  /** The cached Deployments. */
  list(): KubeDeployment[] {
    return [...this.#cache.values()];
  }

  /** Starts (once) and resolves after the first list; rejects with that list's error (then the next call tries again). */
  start(): Promise<void> {
    if (this.#stopped) return Promise.reject(new MeridianError('SHUT_DOWN', `${this.#client.settings.owner}: the Deployment watch was stopped`));
    if (!this.#started) {
      this.#started = this.#relist().then(
        () => this.#watch(),
        (error: unknown) => {
          this.#started = undefined;
          throw error;
        },
      );
      // Callers get the rejection; a caller that stopped waiting (aborted) must not leave it unhandled.
      this.#started.catch(() => undefined);
    }
    return this.#started;
  }

  /**
   * Resolves when `predicate` holds for the cache (checked now and after every
   * change); rejects on abort or after `timeoutMillis` with TIMEOUT.
   */
  waitFor<T>(predicate: () => T | undefined, options: { signal?: AbortSignal | undefined; timeoutMillis: number; what: string }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const done = (fn: () => void): void => {
        this.#waiters.delete(check);
        timer?.cancel();
        options.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const check = (): void => {
        let value: T | undefined;
        try {
          value = predicate();
        } catch (error) {
          done(() => reject(error));
          return;
        }
        if (value !== undefined) done(() => resolve(value));
      };
      const onAbort = (): void => done(() => reject(new MeridianError('ABORTED', `${options.what} was aborted`, { cause: options.signal?.reason })));
      if (options.signal?.aborted) return onAbort();
      timer = this.#settings.clock.setTimeout(
        () => {
          const watch = this.#lastError ? ` (the watch is failing: ${this.#lastError.message})` : '';
          const details = { ...(this.#client.settings.regionId ? { regionId: this.#client.settings.regionId } : {}), timeoutMillis: options.timeoutMillis };
          done(() => reject(new MeridianError('TIMEOUT', `${this.#client.settings.owner}: ${options.what} did not happen within ${options.timeoutMillis} ms${watch}`, { details, ...(this.#lastError ? { cause: this.#lastError } : {}) })));
        },
        options.timeoutMillis,
      );
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(check);
      check();
    });
  }

  /** Reconnects now instead of waiting out the backoff (after the cluster answered something else). */
  kick(): void {
    if (this.#stopped || !this.#pendingRetry) return;
    const relist = this.#pendingRetry.relist;
    this.#timer?.cancel();
    this.#pendingRetry = undefined;
    void this.#reconnect(relist);
  }

  /** Stops watching; idempotent. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#abort?.abort();
    this.#watchAbort?.abort();
  }

  async #relist(): Promise<void> {
    this.#abort = new AbortController();
    const { namespace, labelSelector } = this.#settings;
    const { body } = await this.#client.request<DeploymentList>({
      method: 'GET',
      path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
      query: { labelSelector },
      what: `list Deployments in "${namespace}"`,
      verb: 'list',
      resource: 'deployments.apps',
      namespace,
      signal: this.#abort.signal,
    });
    const seen = new Set<string>();
    for (const item of body.items ?? []) {
      seen.add(item.metadata.name);
      const old = this.#cache.get(item.metadata.name);
      if (old?.metadata.resourceVersion === item.metadata.resourceVersion) continue;
      this.#cache.set(item.metadata.name, { apiVersion: 'apps/v1', kind: 'Deployment', ...item });
      this.#emit({ type: old ? 'MODIFIED' : 'ADDED', object: item });
    }
    for (const [name, old] of [...this.#cache]) {
      if (seen.has(name)) continue;
      this.#cache.delete(name);
      this.#emit({ type: 'DELETED', object: old });
    }
    this.#resourceVersion = body.metadata?.resourceVersion ?? '';
    this.#synced = true;
    this.#lastError = undefined;
    this.#failures = 0;
  }

  #emit(change: InformerChange): void {
    try {
      this.#settings.onChange(change);
    } catch {
      // onChange belongs to the provider, which reports its own listener errors.
    }
    for (const waiter of [...this.#waiters]) waiter();
  }

  #retryLater(error: MeridianError, relist: boolean): void {
    if (this.#stopped) return;
    this.#lastError = error;
    this.#failures++;
    const delay = Math.min(this.#settings.maxDelayMillis, this.#settings.baseDelayMillis * 2 ** (this.#failures - 1));
    this.#pendingRetry = { relist };
    this.#timer = this.#settings.clock.setTimeout(() => {
      this.#pendingRetry = undefined;
      void this.#reconnect(relist);
    }, delay);
    this.#settings.onError(error);
    for (const waiter of [...this.#waiters]) waiter();
  }

  async #reconnect(relist: boolean): Promise<void> {
    if (this.#stopped) return;
    if (relist) {
      try {
        await this.#relist();
      } catch (error) {
        if (!this.#stopped) this.#retryLater(asMeridian(error, this.#client.settings.owner), true);
        return;
      }
    }
    await this.#watch();
  }

  async #watch(): Promise<void> {
    if (this.#stopped) return;
    const from = this.#resourceVersion;
    const { namespace, labelSelector } = this.#settings;
    let gone = false;
    let doneCalled = false;
    let sawEvent = false;
    const onEvent = (type: string, object: KubeDeployment & KubeStatusLike): void => {
      if (type === 'ERROR') {
        // 410 Gone / Expired: our resourceVersion is older than the watch cache; start over with a list.
        gone = object?.code === 410;
        this.#watchAbort?.abort();
        return;
      }
      sawEvent = true;
      const rv = object?.metadata?.resourceVersion;
      if (rv) this.#resourceVersion = rv;
      if (type === 'BOOKMARK') return;
      if (type === 'DELETED') {
        this.#cache.delete(object.metadata.name);
        this.#emit({ type: 'DELETED', object });
      } else if (type === 'ADDED' || type === 'MODIFIED') {
        this.#cache.set(object.metadata.name, object);
        this.#emit({ type, object });
      }
    };
    const onDone = (error: unknown): void => {
      doneCalled = true;
      if (this.#stopped) return;
      const status = (error as { statusCode?: number } | null)?.statusCode;
      if (gone || status === 410) {
        void this.#reconnect(true);
        return;
      }
      if (!established) {
        this.#retryLater(watchError(this.#client, error, status), false);
        return;
      }
      // A watch that ended after it was up (server timeout, dropped connection): resume at once, once;
      // drops in a row without an event in between back off.
      if (sawEvent) this.#failures = 0;
      if (this.#failures === 0) {
        this.#failures = 1;
        void this.#reconnect(false);
      } else {
        this.#retryLater(watchError(this.#client, error, status), false);
      }
    };
    let established = false;
    try {
      this.#watchAbort = await new Watch(this.#client.connection.kubeConfig).watch(
        `/apis/apps/v1/namespaces/${namespace}/deployments`,
        { labelSelector, resourceVersion: this.#resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.#settings.watchTimeoutSeconds ?? 300 },
        onEvent,
        onDone,
      );
      if (this.#stopped) this.#watchAbort.abort();
      established = !doneCalled;
      if (established) {
        this.#lastError = undefined;
        this.#settings.onConnected(from);
      }
    } catch (error) {
      this.#retryLater(watchError(this.#client, error, undefined), false);
    }
  }
}

interface KubeStatusLike {
  code?: number;
}

function asMeridian(error: unknown, owner: string): MeridianError {
  return MeridianError.isInstance(error) ? error : new MeridianError('PROVIDER_ERROR', `${owner}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

function watchError(client: KubeClient, error: unknown, status: number | undefined): MeridianError {
  const { owner, regionId, unavailableCode } = client.settings;
  const details = { ...(regionId ? { regionId } : {}), server: client.connection.server, ...(status ? { status } : {}) };
  if (status === 401) return new MeridianError('PROVIDER_ERROR', `${owner}: unauthorized (token expired or invalid) at ${client.connection.server}; cannot watch Deployments`, { details });
  if (status === 403) return new MeridianError('PROVIDER_ERROR', `${owner}: RBAC denied "watch" on deployments.apps; cannot watch Deployments`, { details });
  if (status) return new MeridianError('PROVIDER_ERROR', `${owner}: the Deployment watch was answered with ${status}`, { details });
  const code = (error as NodeJS.ErrnoException | null)?.code ?? (error as Error | null)?.message ?? 'connection closed';
  return new MeridianError(unavailableCode, `${owner}: cluster ${client.connection.server} is unreachable (${code}); the Deployment watch is reconnecting`, { cause: error, details });
}
