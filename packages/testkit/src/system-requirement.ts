import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { SuiteOptions, TaskMeta } from 'vitest';

/** Something a test suite needs from the machine (a program, root, Linux), and whether this machine has it. */
export interface SystemRequirement {
  /** What is needed, e.g. `redis-server`. */
  readonly name: string;
  /** True if this machine has it. */
  readonly ok: boolean;
  /** Why not, when `ok` is false. */
  readonly reason: string | undefined;
  /** The command (or step) that provides it, e.g. `apt-get install -y redis-server`. */
  readonly enable: string;
  /** For a program that was found: its path. */
  readonly path: string | undefined;
}

/** What a skipped suite records in its `meta`, for the skipped-suites list at the end of the run. */
export interface SkippedFor {
  /** {@link SystemRequirement.name}. */
  requirement: string;
  /** {@link SystemRequirement.reason}. */
  reason: string;
  /** {@link SystemRequirement.enable}. */
  enable: string;
}

/** Options of {@link requireSystemTool}. */
export interface SystemToolOptions {
  /** The command that installs it, printed when it is missing. */
  enable: string;
  /** An environment variable holding its path; when set, it is the only place looked at. */
  envVar?: string;
  /** Directories looked at before `PATH`. Default `['/usr/bin']`. */
  dirs?: readonly string[];
  /** Whether `PATH` is searched after `dirs`. Default true. */
  searchPath?: boolean;
}

/** A requirement from a check made by the caller (e.g. "runs as root"). */
export function systemRequirement(name: string, ok: boolean, reason: string, enable: string): SystemRequirement {
  return { name, ok, reason: ok ? undefined : reason, enable, path: undefined };
}

/** Finds an executable program: `$envVar` alone if it is set, else `dirs`, then `PATH`. */
export function requireSystemTool(name: string, options: SystemToolOptions): SystemRequirement {
  const fromEnv = options.envVar ? process.env[options.envVar] : undefined;
  const searchPath = options.searchPath ?? true;
  const candidates = fromEnv
    ? [fromEnv]
    : [...(options.dirs ?? ['/usr/bin']), ...(searchPath ? (process.env['PATH'] ?? '').split(delimiter).filter(Boolean) : [])].map((dir) => join(dir, name));
  const found = candidates.find(isExecutable);
  if (found) return { name, ok: true, reason: undefined, enable: options.enable, path: found };
  const looked = [...(options.dirs ?? ['/usr/bin']), ...(searchPath ? ['PATH'] : [])].join(', ');
  const reason = fromEnv
    ? `${name} is not an executable file at $${options.envVar} (${fromEnv})`
    : `${name} is not installed (looked in ${looked}${options.envVar ? `; or set ${options.envVar} to its path` : ''})`;
  return { name, ok: false, reason, enable: options.enable, path: undefined };
}

/** The first unmet requirement of `requirements`, or the last one if all are met. */
export function firstUnmet(...requirements: [SystemRequirement, ...SystemRequirement[]]): SystemRequirement {
  return requirements.find((r) => !r.ok) ?? requirements[requirements.length - 1]!;
}

/**
 * Options for `describe(name, skipUnless(requirement), fn)`: runs the suite if
 * every requirement is met; otherwise skips it, prints why and how to enable
 * it, and records both in the suite's `meta` for the skipped-suites list at the
 * end of the run (CI fails on any skipped test).
 */
export function skipUnless(...requirements: SystemRequirement[]): SuiteOptions {
  const unmet = requirements.find((r) => !r.ok);
  if (!unmet) return { skip: false };
  const skippedFor: SkippedFor = { requirement: unmet.name, reason: unmet.reason ?? `${unmet.name} is missing`, enable: unmet.enable };
  console.warn(`[skipped] ${skippedFor.reason}; to run these tests: ${skippedFor.enable}`);
  // Suite meta is inherited by its tests, reaches reporters and is kept in the JSON report.
  const meta: SkippedMeta = { skippedFor };
  return { skip: true, meta: meta as Partial<TaskMeta> };
}

/** The part of a task's `meta` that {@link skipUnless} writes. */
export interface SkippedMeta {
  /** Set on a suite skipped by {@link skipUnless}, and on each of its tests. */
  skippedFor?: SkippedFor;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
