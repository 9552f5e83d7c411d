import type { RegionProvider } from '@meridian/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** What a benchmark's figures were measured on, written beside every result. */
export function benchMachine(): Record<string, unknown> {
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    measuredAt: new Date().toISOString(),
  };
}

/**
 * Writes `<resultsDir>/<name>.json` as `{ benchmark: name, machine, ...data }`
 * (committed, so the docs can quote it); returns the path.
 */
export function writeBenchResult(resultsDir: URL | string, name: string, data: Record<string, unknown>): string {
  const dir = typeof resultsDir === 'string' ? resultsDir : fileURLToPath(resultsDir);
  mkdirSync(dir, { recursive: true });
  const path = `${dir.endsWith('/') ? dir : `${dir}/`}${name}.json`;
  writeFileSync(path, `${JSON.stringify({ benchmark: name, machine: benchMachine(), ...data }, null, 2)}\n`);
  return path;
}

/** Median of samples (the upper one of an even count). */
export function median(samples: readonly number[]): number {
  return [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

/** Deploys `name` to `regions` through any provider and returns the milliseconds it took; throws when a region failed. */
export async function timedDeploy(provider: Pick<RegionProvider, 'deploy'>, name: string, regions: string[]): Promise<number> {
  const started = performance.now();
  const result = await provider.deploy({ name, regions });
  const millis = performance.now() - started;
  const failed = result.regions.filter((r) => r.state !== 'running');
  if (failed.length > 0) throw new Error(`deploy failed: ${failed.map((r) => `${r.regionId}: ${r.error}`).join('; ')}`);
  return millis;
}
