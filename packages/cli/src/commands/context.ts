import { InvalidArgumentError } from 'commander';
import { AdminClient } from '../client/admin-client.js';
import { findAgent } from '../client/find-agent.js';
import type { ExitCode } from '../exit-codes.js';
import { colorsFor, type Colors } from '../output/colors.js';
import type { Io } from '../output/write.js';

/** What every command gets: where it runs, its streams, and how to reach the agent. */
export interface CommandContext {
  /** Working directory (where `.meridian/agent.json` and the config are looked for). */
  cwd: string;
  /** Environment. */
  env: NodeJS.ProcessEnv;
  /** stdout for data, stderr for progress. */
  io: Io;
  /** Colours for stdout. */
  colors: Colors;
  /** Colours for stderr. */
  errColors: Colors;
  /** A client of the agent found from here (exit 3 when there is none). */
  client(): AdminClient;
  /** Sets the exit code the process ends with. */
  exit(code: ExitCode): void;
}

/** Builds the context for one run. */
export function createContext(cwd: string, env: NodeJS.ProcessEnv, io: Io, exit: (code: ExitCode) => void): CommandContext {
  return { cwd, env, io, colors: colorsFor(io.stdout, env), errColors: colorsFor(io.stderr, env), client: () => new AdminClient(findAgent(cwd, env)), exit };
}

/** Commander parser for a positive integer option. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** Commander parser for a positive number option. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

/** Commander parser for a repeatable option. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Commander parser for a comma-separated list. */
export function commaList(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('must list at least one region, e.g. us-east,eu-west');
  return items;
}
