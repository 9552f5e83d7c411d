import type { KubeConfig } from '@kubernetes/client-node';
import {
  MeridianError,
  systemClock,
  type Clock,
  type DeployedRegion,
  type DeployOptions,
  type DeployProgress,
  type DeployResult,
  type DeploySpec,
  type Disposable,
  type EventSource,
  type Listener,
  type ProviderCallOptions,
  type RegionProvider,
  type RegionRunState,
  type RegionStatus,
  type TrafficWeights,
  type WithErrorEvent,
} from '@meridian/core';
import { FencingGate, invalidConfig, parseOptions, throwIfAborted, TypedEmitter, validateTrafficWeights } from '@meridian/core/spi';
import PQueue from 'p-queue';
import { deployRegion, type RegionDeployContext } from './deploy-region.js';
import { DeploymentInformer } from './deployment-informer.js';
import { destroyRegion } from './destroy-region.js';
import { deleteDnsEndpoint, renderEndpoints, writeDnsEndpoint } from './dns-endpoints.js';
import { k8sProviderOptionsSchema, type KubernetesProviderOptions, type ResolvedK8sProviderOptions } from './k8s-provider-options.js';
import { KubeClient } from './kube-client.js';
import { raceAbort } from './race-abort.js';
import { connectContext, readKubeConfig, type ClusterConnection } from './load-kubeconfig.js';
import { RegionSlot } from './region-slot.js';
import type { KubernetesProviderEvents } from './provider-events.js';
import { checkSpec, regionSelector, renderRegion, type RegionManifests } from './render-manifests.js';

/**
 * A `RegionProvider` where each region is a namespace in a Kubernetes
 * cluster (a kubeconfig context). Create it with {@link createKubernetesProvider};
 * `close()` it when done (it holds one Deployment watch per region).
 */
export class KubernetesProvider implements RegionProvider, EventSource<WithErrorEvent<KubernetesProviderEvents>> {
  /** Provider name, matching `Region.provider`. */
  readonly name = 'k8s';
  declare readonly '~events'?: WithErrorEvent<KubernetesProviderEvents>;
  readonly #options: ResolvedK8sProviderOptions;
  readonly #clock: Clock;
  readonly #slots = new Map<string, RegionSlot>();
  readonly #events = new TypedEmitter<KubernetesProviderEvents>();
  readonly #dnsClient: KubeClient | undefined;
  readonly #dnsTargets: Record<string, string> = {};
  readonly #fencing = new FencingGate();
  #weights: TrafficWeights | undefined;
  #closed = false;

  /** @internal Use {@link createKubernetesProvider}. */
  constructor(options: KubernetesProviderOptions) {
    const o = parseOptions(k8sProviderOptionsSchema, options, 'Kubernetes provider options');
    this.#options = o;
    this.#clock = o.clock ?? systemClock;
    let shared: KubeConfig | undefined;
    const sharedConfig = (): KubeConfig => (shared ??= readKubeConfig(o.kubeconfig, 'kubeconfig'));
    for (const [id, region] of Object.entries(o.regions)) {
      const own = region.kubeconfig ? readKubeConfig(region.kubeconfig, `regions.${id}.kubeconfig`) : undefined;
      const kc = own ?? sharedConfig();
      // A region's context: as given, else one named like the region, else (own kubeconfig only) its current one.
      const context = region.context ?? (own && !own.getContextObject(id) ? undefined : id);
      const connection = connectContext(kc, context, `region "${id}"`, `regions.${id}.context`);
      const namespace = region.namespace ?? connection.namespace ?? 'default';
      this.#slots.set(id, new RegionSlot(id, region, namespace, this.#client(connection, `region "${id}"`, id)));
    }
    if (o.dns) {
      const dns = o.dns;
      if (dns.region !== undefined) {
        const slot = this.#slots.get(dns.region);
        if (!slot) throw invalidConfig('Kubernetes provider options', [{ path: 'dns.region', message: `unknown region (known: ${this.regionIds().join(', ')})`, value: JSON.stringify(dns.region) }]);
        this.#dnsClient = this.#client(slot.client.connection, `DNS cluster (region "${dns.region}")`, undefined);
      } else {
        const kc = readKubeConfig(dns.kubeconfig ?? o.kubeconfig, dns.kubeconfig ? 'dns.kubeconfig' : 'kubeconfig');
        this.#dnsClient = this.#client(connectContext(kc, dns.context, 'DNS cluster', 'dns.context'), 'DNS cluster', undefined);
      }
      const issues = [];
      for (const [id, region] of Object.entries(o.regions)) {
        const target = region.dnsTarget ?? (region.endpoint ? new URL(region.endpoint).hostname : undefined);
        if (target) this.#dnsTargets[id] = target;
        else issues.push({ path: `regions.${id}.dnsTarget`, message: 'setTraffic needs a DNS target per region: set dnsTarget or endpoint', value: 'undefined' });
      }
      if (issues.length > 0) throw invalidConfig('Kubernetes provider options', issues);
    }
  }

  /** The configured region ids. */
  regionIds(): string[] {
    return [...this.#slots.keys()];
  }

  /** Subscribe to an event; the Disposable unsubscribes. */
  on<K extends keyof WithErrorEvent<KubernetesProviderEvents> & string>(name: K, listener: Listener<WithErrorEvent<KubernetesProviderEvents>[K]>): Disposable {
    return this.#events.on(name, listener);
  }

  /** Subscribe to the next occurrence only. */
  once<K extends keyof WithErrorEvent<KubernetesProviderEvents> & string>(name: K, listener: Listener<WithErrorEvent<KubernetesProviderEvents>[K]>): Disposable {
    return this.#events.once(name, listener);
  }

  /** The objects `deploy(spec)` would apply, per region, without contacting any cluster. */
  render(spec: DeploySpec): Record<string, RegionManifests> {
    const workload = checkSpec(spec, this.#options);
    return Object.fromEntries(this.#known(spec.regions).map((slot) => [slot.id, renderRegion(spec, slot.id, slot.config, slot.namespace, workload, this.#options)]));
  }

  /**
   * Applies each region's ConfigMap, Deployment and Service with server-side
   * apply, all clusters in parallel (up to `concurrency`), and waits for each
   * Deployment to be Available. A region that fails comes back `failed` with
   * a coded message; the others go on.
   */
  async deploy(spec: DeploySpec, options: DeployOptions = {}): Promise<DeployResult> {
    this.#assertOpen();
    throwIfAborted(options.signal, 'deploy');
    if (!spec || typeof spec !== 'object' || !Array.isArray(spec.regions) || spec.regions.length === 0) {
      throw invalidConfig('deploy spec', [{ path: 'regions', message: 'must list at least one region', value: JSON.stringify(spec?.regions) }]);
    }
    const slots = this.#known(spec.regions);
    const workload = checkSpec(spec, this.#options);
    const queue = new PQueue({ concurrency: this.#options.concurrency ?? slots.length });
    const context: RegionDeployContext = {
      apply: { fieldManager: this.#options.fieldManager, force: this.#options.forceConflicts },
      rolloutTimeoutMillis: this.#options.rolloutTimeoutMillis,
      informer: async (slot) => {
        const informer = this.#informer(slot);
        await raceAbort(informer.start(), options.signal, 'deploy');
        return informer;
      },
    };
    const regions = await Promise.all(
      slots.map((slot) => queue.add(() => deployRegion(context, slot, renderRegion(spec, slot.id, slot.config, slot.namespace, workload, this.#options), options))),
    );
    throwIfAborted(options.signal, 'deploy');
    return { regions };
  }

  /** The region's state from its Deployment watch (started on first use). REGION_UNAVAILABLE while its cluster cannot be reached. */
  async status(regionId: string, options: ProviderCallOptions = {}): Promise<RegionStatus> {
    this.#assertOpen();
    const slot = this.#slot(regionId);
    throwIfAborted(options.signal, 'status');
    const informer = this.#informer(slot);
    if (!informer.synced) await raceAbort(informer.start(), options.signal, 'status');
    else if (informer.lastError) {
      informer.kick();
      throw informer.lastError;
    }
    return slot.status(this.#options.port);
  }

  /** Deletes the Services, Deployments and ConfigMaps Meridian made in the given regions (all when omitted). */
  async destroy(regionIds?: string[], options: ProviderCallOptions = {}): Promise<void> {
    this.#assertOpen();
    throwIfAborted(options.signal, 'destroy');
    const slots = this.#known(regionIds ?? this.regionIds());
    const outcomes = await Promise.allSettled(slots.map((slot) => destroyRegion(slot, options.signal, this.#options.requestTimeoutMillis)));
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    if (failures.length === 0) return;
    const first = failures[0];
    if (failures.length === 1 && MeridianError.isInstance(first)) throw first;
    const code = MeridianError.isInstance(first) ? first.code : 'PROVIDER_ERROR';
    throw new MeridianError(code, `destroy failed in ${failures.length} regions: ${failures.map((f) => (f as Error).message).join('; ')}`, { cause: first });
  }

  /**
   * Writes the weights as weighted records of one external-dns `DNSEndpoint`
   * in the DNS cluster (regions left out or at 0 are removed from the
   * records). With a `fencingToken`, a token lower than the highest seen (here
   * or on the object) is refused with LEASE_LOST.
   */
  async setTraffic(weights: TrafficWeights, options: ProviderCallOptions = {}): Promise<void> {
    this.#assertOpen();
    throwIfAborted(options.signal, 'setTraffic');
    const valid = validateTrafficWeights(weights, this.regionIds());
    const token = options.fencingToken;
    this.#fencing.check(token);
    const dns = this.#options.dns;
    if (!dns || !this.#dnsClient) throw invalidConfig('Kubernetes provider options', [{ path: 'dns', message: 'setTraffic needs the `dns` option (where to write DNSEndpoint records)', value: 'undefined' }]);
    const full = Object.fromEntries(this.regionIds().map((id) => [id, valid[id] ?? 0]));
    await writeDnsEndpoint(this.#dnsClient, dns, renderEndpoints(dns, full, this.#dnsTargets), token, { fieldManager: this.#options.fieldManager, force: this.#options.forceConflicts }, options.signal);
    this.#fencing.accept(token);
    this.#weights = full;
  }

  /**
   * Deletes the `DNSEndpoint` with every weighted record, so nothing of the
   * traffic layer is left (after destroying the last region). A later
   * `setTraffic` writes it again, still fenced by the highest token seen here.
   */
  async removeTraffic(options: ProviderCallOptions = {}): Promise<void> {
    this.#assertOpen();
    throwIfAborted(options.signal, 'removeTraffic');
    const dns = this.#options.dns;
    if (!dns || !this.#dnsClient) return;
    await deleteDnsEndpoint(this.#dnsClient, dns, options.signal);
    this.#weights = undefined;
  }

  /** The weights of the last successful `setTraffic`, or undefined before one. */
  traffic(): TrafficWeights | undefined {
    return this.#weights ? { ...this.#weights } : undefined;
  }

  /** Stops the watches and frees sockets. Idempotent; awaitable; your listeners stay subscribed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots.values()) {
      slot.informer?.stop();
      slot.client.close();
    }
    this.#dnsClient?.close();
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #client(connection: ClusterConnection, owner: string, regionId: string | undefined): KubeClient {
    const o = this.#options;
    return new KubeClient(connection, {
      owner,
      ...(regionId ? { regionId } : {}),
      clock: this.#clock,
      random: o.random ?? Math.random,
      retry: o.retry,
      requestTimeoutMillis: o.requestTimeoutMillis,
      unavailableCode: 'REGION_UNAVAILABLE',
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new MeridianError('SHUT_DOWN', 'the Kubernetes provider was closed');
  }

  #slot(regionId: string): RegionSlot {
    const slot = this.#slots.get(regionId);
    if (!slot) throw new MeridianError('REGION_NOT_FOUND', `Unknown region "${regionId}" (known: ${this.regionIds().join(', ')})`, { details: { regionId } });
    return slot;
  }

  #known(ids: string[]): RegionSlot[] {
    return [...new Set(ids)].map((id) => this.#slot(id));
  }

  #informer(slot: RegionSlot): DeploymentInformer {
    slot.informer ??= new DeploymentInformer(slot.client, {
      namespace: slot.namespace,
      labelSelector: regionSelector(slot.id),
      clock: this.#clock,
      baseDelayMillis: this.#options.watchBackoff.baseDelayMillis,
      maxDelayMillis: this.#options.watchBackoff.maxDelayMillis,
      onChange: (change) => {
        slot.observe(change.object);
        this.#report(slot);
      },
      onError: (error) => this.#events.emit('watch:error', { regionId: slot.id, error }),
      onConnected: (resourceVersion) => this.#events.emit('watch:connected', { regionId: slot.id, resourceVersion }),
    });
    return slot.informer;
  }

  #report(slot: RegionSlot): void {
    const status = slot.status(this.#options.port);
    if (status.state === slot.lastState) return;
    const previous = slot.lastState;
    slot.lastState = status.state;
    this.#events.emit('region:status', { regionId: slot.id, previous, status });
  }
}

/** Creates a {@link KubernetesProvider}; options are validated here (INVALID_CONFIG naming the path). */
export function createKubernetesProvider(options: KubernetesProviderOptions): KubernetesProvider {
  return new KubernetesProvider(options);
}
