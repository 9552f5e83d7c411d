import {
  defineRegions,
  getByRegionId,
  MeridianError,
  type DeployOptions,
  type DeployResult,
  type DeploySpec,
  type DeployedRegion,
  type Disposable,
  type EventSource,
  type Listener,
  type WithErrorEvent,
  type ProviderCallOptions,
  type Region,
  type RegionInput,
  type RegionPrice,
  type RegionProvider,
  type RegionStatus,
  type TrafficWeights,
} from '@meridian/core';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FencingGate, invalidConfig, parseOptions, throwIfAborted, TypedEmitter, validateTrafficWeights } from '@meridian/core/spi';
import { request } from 'undici';
import type { LocalFault } from './fault.js';
import { FrontDoor, type FrontDoorOptions } from './front-door.js';
import { localProviderOptionsSchema, type LocalProviderOptions } from './local-provider-options.js';
import { RegionProcess } from './region-process.js';
import { defaultWorkerPath } from './worker-path.js';

type ResolvedOptions = ReturnType<typeof localProviderOptionsSchema.parse>;
type ResolvedRegion = Region & { host: string; port: number };

interface Slot {
  readonly config: ResolvedRegion;
  process?: RegionProcess;
  /** Port kept across restarts so the endpoint never changes. */
  port: number;
  env: Record<string, string>;
  fault: LocalFault;
  restarts: number;
  deployed: boolean;
  expectingExit: boolean;
}

/** Payload of `process:exit`. */
export interface ProcessExitEvent {
  /** Region id. */
  regionId: string;
  /** The exited process. */
  pid: number;
  /** Exit code, null when killed by a signal. */
  code: number | null;
  /** Signal that ended it, if any. */
  signal: string | null;
  /** False for crashes and `kill()`; true for stop, destroy and restart. */
  expected: boolean;
}

/** Payload of `process:ready`. */
export interface ProcessReadyEvent {
  /** Region id. */
  regionId: string;
  /** The new process. */
  pid: number;
  /** Where it listens. */
  endpoint: string;
}

/** Events of a {@link LocalProvider}. */
export interface LocalProviderEvents {
  /** A region process exited. */
  'process:exit': ProcessExitEvent;
  /** A region process started and listens. */
  'process:ready': ProcessReadyEvent;
}

/**
 * Runs regions as real child processes serving HTTP on loopback: the embedded
 * default provider, for demos, tests and development. Each region can be killed,
 * hung, slowed or made to fail a share of requests, and restored.
 */
export class LocalProvider implements RegionProvider, EventSource<WithErrorEvent<LocalProviderEvents>> {
  declare readonly '~events'?: WithErrorEvent<LocalProviderEvents>;
  readonly name = 'local';
  readonly #options: ResolvedOptions;
  readonly #slots = new Map<string, Slot>();
  readonly #events = new TypedEmitter<LocalProviderEvents>();
  readonly #workerPath: string;
  /** Absolute `dataDir`, when sessions persist. */
  readonly #dataDir: string | undefined;
  #weights: TrafficWeights | undefined;
  readonly #fencing = new FencingGate();
  #frontDoor: FrontDoor | undefined;
  #exitHook: (() => void) | undefined;
  #stopped = false;
  #closing: Promise<void> | undefined;

  constructor(options: LocalProviderOptions) {
    this.#options = parseOptions(localProviderOptionsSchema, options, 'LocalProvider options');
    this.#workerPath = this.#options.workerPath ?? defaultWorkerPath();
    // Absolute, so the regions' files do not depend on the worker's working directory.
    this.#dataDir = this.#options.dataDir === undefined ? undefined : resolve(this.#options.dataDir);
    // Region fields are validated by core (one schema, duplicate ids refused);
    // the endpoint is known only once a process listens, so a placeholder stands in.
    const regions = defineRegions(
      this.#options.regions.map(({ host, port: _port, price: _price, ...rest }) => ({ ...rest, provider: this.name, endpoint: `http://${host}` }) as RegionInput),
    );
    for (const [index, region] of regions.entries()) {
      const { host, port } = this.#options.regions[index]!;
      this.#slots.set(region.id, {
        config: { ...region, host, port },
        port,
        env: {},
        fault: { kind: 'none' },
        restarts: 0,
        deployed: false,
        expectingExit: false,
      });
    }
  }

  /** Subscribe to provider events. */
  on<K extends keyof WithErrorEvent<LocalProviderEvents> & string>(
    name: K,
    listener: Listener<WithErrorEvent<LocalProviderEvents>[K]>,
  ): Disposable {
    return this.#events.on(name, listener);
  }

  /** Subscribe to the next occurrence of an event. */
  once<K extends keyof WithErrorEvent<LocalProviderEvents> & string>(
    name: K,
    listener: Listener<WithErrorEvent<LocalProviderEvents>[K]>,
  ): Disposable {
    return this.#events.once(name, listener);
  }

  /** Ids of every region this provider knows. */
  regionIds(): string[] {
    return [...this.#slots.keys()];
  }

  /** Deployed regions as core `Region`s, with their loopback endpoints. */
  regions(): Region[] {
    return [...this.#slots.values()]
      .filter((s) => s.deployed)
      .map((s) => {
        const { host: _host, port: _port, ...region } = s.config;
        return { ...region, endpoint: this.#endpoint(s) };
      });
  }

  /** Starts (or restarts with the new spec) a process per region of `spec`, in parallel. */
  async deploy(spec: DeploySpec, options: DeployOptions = {}): Promise<DeployResult> {
    this.#assertOpen();
    throwIfAborted(options.signal, 'deploy');
    const regionIds = spec.regions.length > 0 ? spec.regions : this.regionIds();
    const slots = regionIds.map((id) => this.#slot(id));
    const results = await Promise.all(
      slots.map(async (slot): Promise<DeployedRegion> => {
        const regionId = slot.config.id;
        slot.env = {
          ...spec.env,
          ...spec.overrides?.[regionId]?.env,
          REGION: regionId,
          REGION_LAT: String(slot.config.location.lat),
          REGION_LON: String(slot.config.location.lon),
        };
        options.onProgress?.({ regionId, step: 'spawn', status: 'started' });
        try {
          await this.#start(slot, options.signal);
          slot.deployed = true;
          options.onProgress?.({ regionId, step: 'spawn', status: 'completed', message: this.#endpoint(slot) });
          return { regionId, endpoint: this.#endpoint(slot), state: 'running' };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          options.onProgress?.({ regionId, step: 'spawn', status: 'failed', message });
          return { regionId, endpoint: this.#endpoint(slot), state: 'failed', error: message };
        }
      }),
    );
    return { regions: results };
  }

  /** Stops the given regions' processes (all when omitted). */
  async destroy(regionIds?: string[], _options: ProviderCallOptions = {}): Promise<void> {
    const slots = (regionIds ?? this.regionIds()).map((id) => this.#slot(id));
    await Promise.all(
      slots.map(async (slot) => {
        slot.deployed = false;
        await this.#end(slot, 'terminate');
      }),
    );
  }

  /** State of one region's process. */
  async status(regionId: string, _options: ProviderCallOptions = {}): Promise<RegionStatus> {
    const slot = this.#slot(regionId);
    const proc = slot.process;
    const state = !slot.deployed ? 'not-deployed' : proc && !proc.hasExited ? 'running' : 'stopped';
    return {
      regionId,
      state,
      ...(slot.deployed ? { endpoint: this.#endpoint(slot) } : {}),
      details: {
        pid: proc && !proc.hasExited ? proc.child.pid : undefined,
        host: slot.config.host,
        port: slot.port,
        fault: slot.fault,
        restarts: slot.restarts,
      },
    };
  }

  /**
   * Shifts the front door's traffic to `weights` (regions left out get 0). With a
   * `fencingToken`, a token lower than the highest seen is refused (LEASE_LOST).
   */
  async setTraffic(weights: TrafficWeights, options: ProviderCallOptions = {}): Promise<void> {
    this.#assertOpen();
    throwIfAborted(options.signal, 'setTraffic');
    const valid = validateTrafficWeights(weights, this.regionIds());
    this.#fencing.check(options.fencingToken);
    this.#fencing.accept(options.fencingToken);
    this.#weights = Object.fromEntries(this.regionIds().map((id) => [id, valid[id] ?? 0]));
  }

  /**
   * Hourly prices as declared in each region's `price` option (regions without
   * one are left out). The local provider has no price API: these are the
   * figures you gave, for cost-aware placement and `meridian costs`, not quotes.
   */
  async prices(options: ProviderCallOptions = {}): Promise<RegionPrice[]> {
    throwIfAborted(options.signal, 'prices');
    return this.#options.regions.flatMap((r) => (r.price ? [{ regionId: r.id as string, ...r.price }] : []));
  }

  /** Current weights: the last `setTraffic`, else each deployed region's configured weight. */
  traffic(): TrafficWeights {
    if (this.#weights) return { ...this.#weights };
    return Object.fromEntries([...this.#slots.values()].map((s) => [s.config.id, s.deployed ? s.config.weight : 0]));
  }

  /**
   * Starts the local front door: a reverse proxy on loopback that sends every
   * request to a region by the current weights. One per provider.
   */
  async startFrontDoor(options: FrontDoorOptions = {}): Promise<FrontDoor> {
    this.#assertOpen();
    if (this.#frontDoor) return this.#frontDoor;
    const host = options.host ?? '127.0.0.1';
    const door = new FrontDoor(
      {
        // Only deployed regions can answer; weights of the others are not in play.
        regions: () =>
          [...this.#slots.values()]
            .filter((slot) => slot.deployed)
            .map((slot) => ({ id: slot.config.id, endpoint: this.#endpoint(slot), priority: slot.config.priority })),
        weights: () => this.traffic(),
      },
      options,
    );
    await door.listen(host, options.port ?? 0);
    this.#frontDoor = door;
    return door;
  }

  /** The running front door, if started. */
  get frontDoor(): FrontDoor | undefined {
    return this.#frontDoor;
  }

  /** Sends one request through the front door and returns the region that answered. */
  async resolveRoute(options: ProviderCallOptions = {}): Promise<string | undefined> {
    if (!this.#frontDoor) return undefined;
    const signal = options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(2_000)]) : AbortSignal.timeout(2_000);
    try {
      const response = await request(`${this.#frontDoor.url}/health`, { signal });
      await response.body.dump();
      const region = response.headers['x-meridian-region'];
      return response.statusCode < 500 && typeof region === 'string' ? region : undefined;
    } catch {
      return undefined;
    }
  }

  /** Kills a region's process at once (SIGKILL), as a crash would. */
  async kill(regionId: string): Promise<void> {
    const slot = this.#slot(regionId);
    await this.#end(slot, 'kill');
  }

  /** Makes a region accept connections and never answer. */
  async hang(regionId: string): Promise<void> {
    await this.#fault(regionId, { kind: 'hang' });
  }

  /** Delays every answer of a region by `ms`. */
  async slow(regionId: string, ms: number): Promise<void> {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw invalidConfig('slow()', [{ path: 'ms', message: 'must be a finite number >= 0', value: String(ms) }]);
    }
    await this.#fault(regionId, { kind: 'slow', ms });
  }

  /** Makes a region answer a `fraction` (0..1) of requests with 500. */
  async failRate(regionId: string, fraction: number): Promise<void> {
    if (!(fraction >= 0 && fraction <= 1)) {
      throw invalidConfig('failRate()', [{ path: 'fraction', message: 'must be between 0 and 1', value: String(fraction) }]);
    }
    await this.#fault(regionId, { kind: 'fail', fraction });
  }

  /** Clears faults; a killed region is started again on its old port. */
  async restore(regionId: string): Promise<void> {
    const slot = this.#slot(regionId);
    slot.fault = { kind: 'none' };
    if (!slot.process || slot.process.hasExited) {
      await this.#start(slot);
      return;
    }
    await slot.process.setFault(slot.fault);
  }

  /** Stops and starts a region's process on the same port (faults cleared). */
  async restart(regionId: string): Promise<void> {
    const slot = this.#slot(regionId);
    await this.#end(slot, 'terminate');
    slot.fault = { kind: 'none' };
    slot.restarts++;
    await this.#start(slot);
  }

  /**
   * Closes the front door and stops every region process; the provider cannot
   * deploy again. Idempotent (a second call waits for the first); listeners
   * stay subscribed.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @deprecated Use `close()`. */
  stop(): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.#stopped = true;
    await this.#frontDoor?.close();
    await this.destroy();
    if (this.#exitHook) process.off('exit', this.#exitHook);
    this.#exitHook = undefined;
  }

  /** PIDs of live region processes (for leak checks). */
  pids(): number[] {
    return [...this.#slots.values()].flatMap((s) => (s.process && !s.process.hasExited && s.process.child.pid ? [s.process.child.pid] : []));
  }

  #slot(regionId: string): Slot {
    return getByRegionId(this.#slots, regionId);
  }

  #endpoint(slot: Slot): string {
    return `http://${slot.config.host}:${slot.port}`;
  }

  #assertOpen(): void {
    if (this.#stopped) throw new MeridianError('SHUT_DOWN', 'LocalProvider was stopped');
  }

  async #fault(regionId: string, fault: LocalFault): Promise<void> {
    const slot = this.#slot(regionId);
    if (!slot.process || slot.process.hasExited) {
      throw new MeridianError('REGION_UNAVAILABLE', `region "${regionId}" is not running; deploy or restore it first`, {
        details: { regionId },
      });
    }
    await slot.process.setFault(fault);
    slot.fault = fault;
  }

  async #start(slot: Slot, signal?: AbortSignal): Promise<void> {
    this.#assertOpen();
    if (slot.process && !slot.process.hasExited) await this.#end(slot, 'terminate');
    if (this.#dataDir) this.#createSessionDir(slot.config.id, this.#dataDir);
    this.#installExitHook();
    const proc = new RegionProcess(
      {
        regionId: slot.config.id,
        host: slot.config.host,
        port: slot.port,
        env: { PATH: process.env.PATH ?? '', ...slot.env },
        seed: this.#options.seed,
        workerPath: this.#workerPath,
        startTimeoutMillis: this.#options.startTimeoutMillis,
        ...(this.#dataDir ? { dataDir: this.#dataDir } : {}),
      },
      signal,
    );
    slot.process = proc;
    slot.expectingExit = false;
    const pid = proc.child.pid ?? -1;
    void proc.exited.then(({ code, signal: sig }) => {
      this.#events.emit('process:exit', { regionId: slot.config.id, pid, code, signal: sig, expected: slot.expectingExit });
    });
    const ready = await proc.ready;
    slot.port = ready.port;
    if (slot.fault.kind !== 'none') await proc.setFault(slot.fault);
    this.#events.emit('process:ready', { regionId: slot.config.id, pid: ready.pid, endpoint: this.#endpoint(slot) });
  }

  /** Creates the region's session directory, so a path that cannot be written fails the start, not every write. */
  #createSessionDir(regionId: string, dataDir: string): void {
    const dir = join(dataDir, regionId, 'sessions');
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new MeridianError('PROVIDER_ERROR', `region "${regionId}" cannot create its session directory ${dir}: ${code ?? (error as Error).message}`, {
        cause: error,
        details: { regionId, operation: 'create session directory', code },
      });
    }
  }

  async #end(slot: Slot, how: 'kill' | 'terminate'): Promise<void> {
    const proc = slot.process;
    if (!proc || proc.hasExited) return;
    slot.expectingExit = how === 'terminate';
    if (how === 'kill') await proc.kill();
    else await proc.terminate(this.#options.stopGraceMillis);
  }

  #installExitHook(): void {
    if (this.#exitHook) return;
    // Children also exit on IPC disconnect; this hook covers a normal host exit
    // synchronously so not even a short-lived orphan remains.
    this.#exitHook = () => {
      for (const slot of this.#slots.values()) {
        if (slot.process && !slot.process.hasExited) slot.process.child.kill('SIGKILL');
      }
    };
    process.on('exit', this.#exitHook);
  }
}

/** Creates the local provider (regions as processes on loopback). */
export function createLocalProvider(options: LocalProviderOptions): LocalProvider {
  return new LocalProvider(options);
}
