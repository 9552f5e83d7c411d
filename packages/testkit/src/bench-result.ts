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
