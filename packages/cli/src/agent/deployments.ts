import { MeridianError, type DeploymentReport, type DeployOperation, type DeployStrategy, type MultiRegionDeployer, type RegionDeployState } from '@meridian/core';
import type { MeridianConfig } from '../config/config-schema.js';
import { deploySpec } from './deploy-spec.js';

/** What `meridian deploy` (and the agent at start) asks for. */
export interface DeployAsk {
  /** Regions to deploy, in config order. */
  regions: string[];
  /** Traffic strategy. */
  strategy: DeployStrategy;
  /** Apply the strategy's weights at the end (only when the user chose a strategy). */
  applyTraffic: boolean;
}

/**
 * Runs deployments one at a time and remembers how each region's last one
 * went, for `status`. A second deploy while one runs is refused (a 409).
 */
export class Deployments {
  readonly #byRegion = new Map<string, RegionDeployState>();
  #running: DeployOperation | undefined;
  #last: DeploymentReport | undefined;
  readonly #listeners = new Set<(report: DeploymentReport) => void>();

  constructor(
    private readonly config: MeridianConfig,
    /** The deployer, for its events. */
    readonly deployer: MultiRegionDeployer,
    private readonly provider: { regionIds(): string[] },
  ) {}

  /** The last deployment state of a region, if it was ever deployed here. */
  region(regionId: string): RegionDeployState | undefined {
    return this.#byRegion.get(regionId);
  }

  /** Forgets destroyed regions: `status` shows them not deployed. */
  forget(regionIds: string[]): void {
    for (const id of regionIds) this.#byRegion.delete(id);
  }

  /** The last finished deployment. */
  get last(): DeploymentReport | undefined {
    return this.#last;
  }

  /** Calls `listener` with the report of every deployment that ends from now on. */
  onReport(listener: (report: DeploymentReport) => void): void {
    this.#listeners.add(listener);
  }

  /** Starts a deployment; PRECONDITION_FAILED while another one runs. */
  start(ask: DeployAsk): DeployOperation {
    if (this.#running) {
      throw new MeridianError('PRECONDITION_FAILED', `a deployment is already running (${this.#running.id}); wait for it to finish`);
    }
    const ordered = this.config.regions.map((r) => r.id).filter((id) => ask.regions.includes(id));
    const primary = ask.strategy === 'active-passive' ? this.#primaryOf(ordered) : undefined;
    const op = this.deployer.deploy({
      spec: deploySpec(this.config, ordered),
      strategy: ask.strategy,
      ...(primary ? { primary } : {}),
      applyTraffic: ask.applyTraffic,
    });
    this.#running = op;
    const settle = (report: DeploymentReport | undefined): void => {
      if (this.#running === op) this.#running = undefined;
      if (!report) return;
      this.#last = report;
      for (const region of report.regions) this.#byRegion.set(region.regionId, region);
      for (const listener of this.#listeners) listener(report);
    };
    op.done.then(settle, (error: unknown) => settle(MeridianError.isInstance(error) ? (error.details['report'] as DeploymentReport | undefined) : undefined));
    return op;
  }

  // The home region: the lowest priority (list order breaks ties), as the failover manager picks it.
  #primaryOf(ids: string[]): string | undefined {
    const priority = (id: string): number => this.config.regions.find((r) => r.id === id)?.priority ?? this.config.regions.findIndex((r) => r.id === id);
    return [...ids].sort((a, b) => priority(a) - priority(b))[0] ?? this.provider.regionIds()[0];
  }
}
