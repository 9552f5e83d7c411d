// The contract every chaos scenario follows: one fault, one expected reaction,
// a bound in time, and a count of what was lost (and of what clients saw).
import type { ClientCounts } from './client-traffic.js';

/** What a scenario gets from the runner. */
export interface ScenarioContext {
  /** Aborted when the scenario overruns its deadline: stop waiting, clean up. */
  readonly signal: AbortSignal;
  /** Registers a clean-up; the runner calls them last-in first-out, even after an overrun. */
  defer(cleanup: () => unknown): void;
  /** PIDs of region processes the scenario started: the runner checks none outlives it. */
  trackPids(pids: Iterable<number>): void;
  /** One line of detail, printed with `--verbose` and kept in the JSON. */
  log(line: string): void;
  /** Client requests per second through the front door, where a scenario has one (`--client-rate`); the lab's default (50) when unset. */
  readonly clientRatePerSecond?: number;
  /** Volume multiplier (`--scale`, 1 by default): sessions placed, writers, batch sizes grow with it. */
  readonly scale: number;
}

/** What a scenario measured. */
export interface ScenarioOutcome {
  /** Whether the expected reaction happened (a failover, a rollback, no failover ...). */
  reactionSeen: boolean;
  /** What was seen, in a few words. */
  reaction: string;
  /** From the fault to the reaction (traffic shifted, rollback reported ...), ms. */
  timeToReactMillis?: number;
  /** Sessions and acknowledged writes missing (or doubled) after healing. */
  lost: number;
  /** Sessions and acknowledged writes checked. */
  checked: number;
  /** Client requests sent through the front door during the scenario, or why there were none (no regions behind a front door). */
  clients: ClientOutcome;
  /** What the lab's census checked, for the run's totals; absent in scenarios without a lab. */
  volume?: ScenarioVolume;
}

/** The volume one scenario's lab carried: summed into the run's totals. */
export interface ScenarioVolume {
  /** Sessions placed and counted in the regions at the end. */
  sessions: number;
  /** Writes the regions acknowledged, each looked for in every region at the end. */
  writes: number;
  /** Seconds the client traffic ran (its requests over these give the rate achieved); 0 without a front door. */
  clientSeconds: number;
}

/** What clients saw, or why a scenario has no client traffic. */
export type ClientOutcome = ClientCounts | { notApplicable: string };

/** Most client requests a scenario may see fail; over it, the scenario fails. Unset: counted, not judged. */
export interface ClientGoals {
  /** GETs answered >= 500 or not at all. */
  maxFailedGets?: number;
  /** POSTs answered >= 500 or not at all. */
  maxFailedPosts?: number;
}

/** One chaos scenario. */
export interface ChaosScenario {
  /** Short id (`region-kill`), used on the command line. */
  id: string;
  /** The fault, for the table. */
  title: string;
  /** The reaction that makes it pass. */
  expected: string;
  /** Hard bound: past it the scenario is aborted and fails. */
  deadlineMillis: number;
  /** Client requests allowed to fail; checked against the outcome's `clients`. */
  clientGoals?: ClientGoals;
  /** Why it cannot run here (then it is reported `not-run`, never passed). */
  notRunReason?: () => string | undefined;
  /** Runs it; throws when an assertion fails. */
  run(ctx: ScenarioContext): Promise<ScenarioOutcome>;
}

/** A scenario's line in the table and the JSON. */
export interface ScenarioReport {
  id: string;
  title: string;
  expected: string;
  outcome: 'pass' | 'fail' | 'not-run';
  reactionSeen: boolean;
  reaction: string;
  timeToReactMillis?: number;
  lost?: number;
  checked?: number;
  /** As measured; absent when the scenario did not run or failed before measuring. */
  clients?: ClientOutcome;
  volume?: ScenarioVolume;
  durationMillis: number;
  error?: string;
  log: string[];
}

/** Throws (failing the scenario) when `condition` is false. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
