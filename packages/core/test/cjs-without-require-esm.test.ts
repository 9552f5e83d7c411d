// The CommonJS builds load where require() of ES modules is off (Jest-style loaders, Node < 20.19): the ESM-only
// dependencies (p-queue and what it needs, @kubernetes/client-node ...) are bundled into each dist/index.cjs.
// Runs on the built packages (`pnpm -r build`, which `npm test` does first).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const packages = ['core', 'providers-local', 'georouter', 'session-migration', 'replica-redis', 'metrics-prometheus', 'dispatcher', 'providers-k8s', 'providers-azure'];

describe('CommonJS builds without require(esm)', () => {
  it('every package CJS entry loads under --no-experimental-require-module, and a deploy runs through p-queue', () => {
    const entries = packages.map((p) => `${root}packages/${p}/dist/index.cjs`);
    const missing = entries.filter((e) => !existsSync(e));
    expect(missing, 'build first: npx pnpm@10.34.9 -r build').toEqual([]);
    const out = execFileSync(process.execPath, ['--no-experimental-require-module', `${root}scripts/embedding/cjs-without-require-esm.cjs`, ...entries], { encoding: 'utf8', timeout: 60_000 });
    expect(out.trim()).toBe(`loaded ${entries.length} CommonJS entries without require(esm); deployed away, home through p-queue`);
  });
});
