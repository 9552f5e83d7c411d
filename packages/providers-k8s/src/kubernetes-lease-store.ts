import { MAX_TIMER_MILLIS, MeridianError, systemClock, type Clock, type Lease, type LeaseStore } from '@meridian/core';
import { hasMethods, invalidConfig, parseOptions, type ConfigIssue } from '@meridian/core/spi';
import { z } from 'zod';
import { DNS_LABEL } from './k8s-provider-options.js';
import { KubeClient } from './kube-client.js';
import { connectContext, readKubeConfig } from './load-kubeconfig.js';
import { retrySchema, type KubeRetryOptions } from './retry-policy.js';

// Node fires a timer longer than 2^31-1 ms after 1 ms: longer durations are refused.
const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;

/** Lease annotation holding the fencing token (only grows, survives releases). */
export const TOKEN_ANNOTATION = 'meridian.dev/fencing-token';
/** Lease annotation holding the TTL in milliseconds (`leaseDurationSeconds` is whole seconds). */
export const TTL_ANNOTATION = 'meridian.dev/ttl-millis';
const LEASE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

const optionsSchema = z
  .object({
    kubeconfig: z.string().min(1).optional(),
    context: z.string().min(1).optional(),
    namespace: z.string().regex(DNS_LABEL, 'must be a DNS-1123 label').optional(),
    requestTimeoutMillis: z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).default(10_000),
    retry: retrySchema.prefault({ maxAttempts: 3 }),
    clock: z.custom<Clock>((v) => hasMethods(v, ['now', 'setTimeout']), 'must be a Clock (with now, setTimeout)').optional(),
    random: z.custom<() => number>((v) => typeof v === 'function', 'must be a function').optional(),
  })
  .strict();

/** Options of {@link KubernetesLeaseStore}. */
export interface KubernetesLeaseStoreOptions {
  /** Kubeconfig: a path or the YAML text. Default `$KUBECONFIG`, else `~/.kube/config`. */
  kubeconfig?: string;
  /** Context. Default the kubeconfig's current context. */
  context?: string;
  /** Namespace of the Lease objects. Default the context's namespace, else `default`. */
  namespace?: string;
  /** Longest wait for one API request. Default 10000. */
  requestTimeoutMillis?: number;
  /** Retries of 429, 5xx and unreachable clusters. Default 3 attempts. */
  retry?: KubeRetryOptions;
  /** Time for expiry and renew times; every instance sharing a lease should agree on it within a small skew. Default the system clock. */
  clock?: Clock;
  /** Random source for retry jitter. Default Math.random. */
  random?: () => number;
}

interface LeaseObject {
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec?: { holderIdentity?: string | null; leaseDurationSeconds?: number; acquireTime?: string | null; renewTime?: string | null; leaseTransitions?: number };
}

interface LeaseView {
  holder: string | undefined;
  token: number;
  expiresAt: number;
}

/** MicroTime, as the API writes it: RFC 3339 with microseconds. */
const microTime = (millis: number): string => new Date(millis).toISOString().replace(/Z$/, '000Z');

function viewOf(object: LeaseObject): LeaseView {
  const spec = object.spec ?? {};
  const token = Number(object.metadata.annotations?.[TOKEN_ANNOTATION] ?? 0) || 0;
  const ttl = Number(object.metadata.annotations?.[TTL_ANNOTATION] ?? Number.NaN);
  const ttlMillis = Number.isFinite(ttl) ? ttl : (spec.leaseDurationSeconds ?? 0) * 1000;
  const renewed = spec.renewTime ? Date.parse(spec.renewTime) : Number.NaN;
  return { holder: spec.holderIdentity ?? undefined, token, expiresAt: Number.isFinite(renewed) ? renewed + ttlMillis : 0 };
}

function checkArgs(call: string, name: unknown, holder: unknown, ttlMillis: unknown): void {
  const issues: ConfigIssue[] = [];
  if (typeof name !== 'string' || name.length === 0) issues.push({ path: 'name', message: 'must be a non-empty string', value: String(name) });
  else if (!LEASE_NAME.test(name)) issues.push({ path: 'name', message: 'must be a Kubernetes object name (lowercase letters, digits, "-", ".")', value: JSON.stringify(name) });
  if (typeof holder !== 'string' || holder.length === 0) issues.push({ path: 'holder', message: 'must be a non-empty string', value: String(holder) });
  if (typeof ttlMillis !== 'number' || !Number.isInteger(ttlMillis) || ttlMillis <= 0) issues.push({ path: 'ttlMillis', message: 'must be a positive integer', value: String(ttlMillis) });
  else if (ttlMillis > MAX_TIMER_MILLIS) issues.push({ path: 'ttlMillis', message: MAX_TIMER_MESSAGE, value: String(ttlMillis) });
  if (issues.length > 0) throw invalidConfig(`LeaseStore.${call}`, issues);
}

function leaseLost(lease: Lease, current: LeaseView | undefined, now: number): MeridianError {
  const live = current?.holder !== undefined && now < current.expiresAt;
  const why = live ? `now held by "${current!.holder}" (token ${current!.token})` : 'it expired';
  return new MeridianError('LEASE_LOST', `Lease "${lease.name}" (token ${lease.token}) is no longer held by "${lease.holder}": ${why}`, {
    details: { name: lease.name, holder: lease.holder, token: lease.token, currentHolder: live ? current!.holder : undefined, currentToken: live ? current!.token : undefined },
  });
}

const MAX_RACES = 8;

/**
 * A LeaseStore on `coordination.k8s.io/v1` Lease objects: `holderIdentity`,
 * `leaseDurationSeconds`, `acquireTime`, `renewTime`, `leaseTransitions` as
 * Kubernetes leader election writes them, every change guarded by the
 * object's `resourceVersion` (a lost race is a 409, then a fresh read), and
 * the fencing token in the `meridian.dev/fencing-token` annotation, which only
 * grows (a release keeps it). Unreachable clusters are STORE_UNAVAILABLE.
 */
export class KubernetesLeaseStore implements LeaseStore {
  readonly #client: KubeClient;
  readonly #namespace: string;
  readonly #clock: Clock;

  constructor(options: KubernetesLeaseStoreOptions = {}) {
    const o = parseOptions(optionsSchema, options, 'KubernetesLeaseStore options');
    const connection = connectContext(readKubeConfig(o.kubeconfig, 'kubeconfig'), o.context, 'lease store', 'context');
    this.#namespace = o.namespace ?? connection.namespace ?? 'default';
    this.#clock = o.clock ?? systemClock;
    this.#client = new KubeClient(connection, {
      owner: `lease store (context "${connection.context}")`,
      clock: this.#clock,
      random: o.random ?? Math.random,
      retry: o.retry,
      requestTimeoutMillis: o.requestTimeoutMillis,
      unavailableCode: 'STORE_UNAVAILABLE',
    });
  }

  async acquire(name: string, holder: string, ttlMillis: number, options: { signal?: AbortSignal } = {}): Promise<Lease | undefined> {
    checkArgs('acquire', name, holder, ttlMillis);
    for (let race = 0; race < MAX_RACES; race++) {
      const object = await this.#read(name, options.signal);
      const now = this.#clock.now();
      if (!object) {
        const created = await this.#write('POST', name, undefined, { holder, token: 1, ttlMillis, now, acquired: now, transitions: 0 }, options.signal);
        if (created) return { name, holder, token: 1, expiresAt: now + ttlMillis };
        continue;
      }
      const view = viewOf(object);
      const live = view.holder !== undefined && now < view.expiresAt;
      if (live && view.holder !== holder) return undefined;
      // The live holder acquiring again keeps its token: it never lost the lease.
      const token = live ? view.token : view.token + 1;
      const spec = object.spec ?? {};
      const changedHands = view.holder !== undefined && view.holder !== holder;
      const acquired = live ? Date.parse(spec.acquireTime ?? '') || now : now;
      const transitions = (spec.leaseTransitions ?? 0) + (changedHands ? 1 : 0);
      if (await this.#write('PUT', name, object, { holder, token, ttlMillis, now, acquired, transitions }, options.signal)) return { name, holder, token, expiresAt: now + ttlMillis };
    }
    return undefined;
  }

  async renew(lease: Lease, ttlMillis: number, options: { signal?: AbortSignal } = {}): Promise<Lease> {
    checkArgs('renew', lease?.name, lease?.holder, ttlMillis);
    for (let race = 0; race < MAX_RACES; race++) {
      const object = await this.#read(lease.name, options.signal);
      const now = this.#clock.now();
      const view = object ? viewOf(object) : undefined;
      if (!object || !view || view.holder !== lease.holder || view.token !== lease.token || now >= view.expiresAt) throw leaseLost(lease, view, now);
      const spec = object.spec ?? {};
      const acquired = Date.parse(spec.acquireTime ?? '') || now;
      if (await this.#write('PUT', lease.name, object, { holder: lease.holder, token: lease.token, ttlMillis, now, acquired, transitions: spec.leaseTransitions ?? 0 }, options.signal)) {
        return { ...lease, expiresAt: now + ttlMillis };
      }
    }
    throw new MeridianError('STORE_UNAVAILABLE', `lease "${lease.name}": renew lost ${MAX_RACES} races in a row on ${this.#client.connection.server}`);
  }

  async release(lease: Lease, options: { signal?: AbortSignal } = {}): Promise<void> {
    for (let race = 0; race < MAX_RACES; race++) {
      const object = await this.#read(lease.name, options.signal);
      if (!object) return;
      const view = viewOf(object);
      if (view.holder !== lease.holder || view.token !== lease.token) return;
      // Free it but keep the token annotation: the next holder's token must be larger.
      const body: LeaseObject = {
        ...object,
        spec: { leaseDurationSeconds: object.spec?.leaseDurationSeconds ?? 1, leaseTransitions: object.spec?.leaseTransitions ?? 0 },
      };
      const res = await this.#client.request({ ...this.#call(lease.name, 'update', `release Lease "${lease.name}"`), method: 'PUT', body, expect: [404, 409], signal: options.signal });
      if (res.status < 300 || res.status === 404) return;
    }
  }

  async current(name: string, options: { signal?: AbortSignal } = {}): Promise<Lease | undefined> {
    const object = await this.#read(name, options.signal);
    if (!object) return undefined;
    const view = viewOf(object);
    return view.holder !== undefined && this.#clock.now() < view.expiresAt ? { name, holder: view.holder, token: view.token, expiresAt: view.expiresAt } : undefined;
  }

  /** Frees pooled sockets. Idempotent; awaitable. */
  async close(): Promise<void> {
    this.#client.close();
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #call(name: string, verb: string, what: string) {
    return {
      path: `/apis/coordination.k8s.io/v1/namespaces/${this.#namespace}/leases${verb === 'create' ? '' : `/${name}`}`,
      verb,
      what,
      resource: 'leases.coordination.k8s.io',
      namespace: this.#namespace,
    };
  }

  async #read(name: string, signal: AbortSignal | undefined): Promise<LeaseObject | undefined> {
    const res = await this.#client.request<LeaseObject>({ ...this.#call(name, 'get', `read Lease "${name}"`), method: 'GET', expect: [404], signal });
    return res.status === 404 ? undefined : res.body;
  }

  /** Creates or updates (guarded by the read's resourceVersion); false when another writer won the race. */
  async #write(
    method: 'POST' | 'PUT',
    name: string,
    before: LeaseObject | undefined,
    v: { holder: string; token: number; ttlMillis: number; now: number; acquired: number; transitions: number },
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...(before?.metadata ?? {}),
        name,
        namespace: this.#namespace,
        annotations: { ...(before?.metadata.annotations ?? {}), [TOKEN_ANNOTATION]: String(v.token), [TTL_ANNOTATION]: String(v.ttlMillis) },
      },
      spec: {
        holderIdentity: v.holder,
        leaseDurationSeconds: Math.max(1, Math.ceil(v.ttlMillis / 1000)),
        acquireTime: microTime(v.acquired),
        renewTime: microTime(v.now),
        leaseTransitions: v.transitions,
      },
    };
    const call = method === 'POST' ? this.#call(name, 'create', `create Lease "${name}"`) : this.#call(name, 'update', `update Lease "${name}"`);
    const res = await this.#client.request({ ...call, method, body, expect: method === 'POST' ? [409] : [404, 409], signal });
    return res.status < 300;
  }
}
