import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machine } from './machine.js';

/** Writes `bench/results/<name>.json` with the machine it ran on; returns the path. */
export function writeResult(name: string, data: Record<string, unknown>): string {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const path = `${dir}${name}.json`;
  writeFileSync(path, `${JSON.stringify({ benchmark: name, machine: machine(), ...data }, null, 2)}\n`);
  return path;
}
