import { clientRateFor, MAX_SCALE } from './scale.js';

/** What `pnpm chaos` was asked to do. */
export interface ChaosArgs {
  /** Scenario ids to run; empty: all of them. */
  only: string[];
  verbose: boolean;
  /** Volume multiplier (`--scale`), 1 by default. */
  scale: number;
  /** Client requests per second: `--client-rate`, or the scale's rate ({@link clientRateFor}). */
  clientRatePerSecond: number;
}

/** Why the command line was refused; the runner prints it and exits 2. */
export class ChaosArgsError extends Error {}

/** The value of `--name=value` or `--name value` (undefined when the flag is absent). */
function flagValue(args: string[], name: string): { value: string; raw: string; consumed: number[] } | undefined {
  const at = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (at === -1) return undefined;
  const arg = args[at]!;
  if (arg !== name) return { value: arg.slice(name.length + 1), raw: arg, consumed: [at] };
  return { value: args[at + 1] ?? '', raw: `${name} ${args[at + 1] ?? ''}`.trimEnd(), consumed: [at, at + 1] };
}

/** Parses `pnpm chaos`'s arguments against the known scenario ids; throws {@link ChaosArgsError} on anything it cannot honour. */
export function parseChaosArgs(args: string[], knownIds: readonly string[]): ChaosArgs {
  const consumed = new Set<number>();
  const rate = flagValue(args, '--client-rate');
  const scale = flagValue(args, '--scale');
  for (const flag of [rate, scale]) for (const i of flag?.consumed ?? []) consumed.add(i);

  const explicitRate = rate === undefined ? undefined : Number(rate.value);
  if (explicitRate !== undefined && !(explicitRate >= 1 && explicitRate <= 1_000)) {
    throw new ChaosArgsError(`--client-rate must be a number of requests per second from 1 to 1000, got ${rate!.raw}`);
  }
  const factor = scale === undefined ? 1 : Number(scale.value);
  if (!(Number.isInteger(factor) && factor >= 1 && factor <= MAX_SCALE)) {
    throw new ChaosArgsError(`--scale must be a whole number from 1 to ${MAX_SCALE}, got ${scale!.raw}`);
  }

  const rest = args.filter((_, i) => !consumed.has(i));
  const flags = rest.filter((a) => a.startsWith('--'));
  const unknownFlags = flags.filter((a) => a !== '--verbose');
  if (unknownFlags.length > 0) throw new ChaosArgsError(`unknown option(s): ${unknownFlags.join(', ')}; known: --verbose, --client-rate=N, --scale=N`);
  const only = rest.filter((a) => !a.startsWith('--'));
  const unknown = only.filter((id) => !knownIds.includes(id));
  if (unknown.length > 0) throw new ChaosArgsError(`unknown scenario(s): ${unknown.join(', ')}; known: ${knownIds.join(', ')}`);
  return { only, verbose: flags.includes('--verbose'), scale: factor, clientRatePerSecond: clientRateFor(factor, explicitRate) };
}
