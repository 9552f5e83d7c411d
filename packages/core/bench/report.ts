import { readFileSync } from 'node:fs';
import { writeBenchResult } from '@meridian/testkit';

/** Detection-time samples as ratios of a budget (interval × failures); the bound allows one timeout more. */
export function summarize(samples: number[], budgetMillis: number, timeoutMillis: number): Record<string, number | number[]> {
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const max = Math.max(...samples);
  return {
    samplesMillis: samples.map((s) => Math.round(s)),
    meanMillis: Math.round(mean),
    maxMillis: Math.round(max),
    meanRatio: mean / budgetMillis,
    maxRatio: max / budgetMillis,
    boundRatio: (budgetMillis + timeoutMillis) / budgetMillis,
  };
}

/** Writes `bench/results/<name>.json` with the machine it ran on; returns the path. */
export function writeResult(name: string, data: Record<string, unknown>): string {
  return writeBenchResult(new URL('./results/', import.meta.url), name, data);
}

/**
 * The `before` figures of the committed `bench/results/<name>.json` (measured
 * on the code before an optimisation, with their date), so a re-run keeps them
 * beside the new figures instead of dropping them.
 */
export function keptBefore(name: string): { before?: unknown } {
  try {
    const previous = JSON.parse(readFileSync(new URL(`./results/${name}.json`, import.meta.url), 'utf8')) as { before?: unknown };
    return previous.before === undefined ? {} : { before: previous.before };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}; // the first run
    throw error;
  }
}
