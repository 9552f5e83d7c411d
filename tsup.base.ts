import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

interface Manifest {
  name?: string;
  type?: string;
  main?: string;
  exports?: unknown;
  dependencies?: Record<string, string>;
}

/** The folder of package `name` as Node resolves it from `from` (symlinks followed, so pnpm's store works). */
function packageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return dirname(realpathSync(candidate));
    if (dirname(dir) === dir) return undefined;
  }
}

const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Whether `require()` can load the package without Node's require(esm): a `require` condition, a .cjs file, or a CommonJS main. */
function loadsWithRequire(manifest: Manifest): boolean {
  const root = manifest.exports !== null && typeof manifest.exports === 'object' && '.' in manifest.exports ? (manifest.exports as Record<string, unknown>)['.'] : manifest.exports;
  if (root !== undefined) {
    const targets: string[] = [];
    // A target under `require` loads with require(); one under `import` (or a types file) does not count.
    const walk = (value: unknown, conditions: string[]): void => {
      if (typeof value === 'string') {
        if (!conditions.includes('import') && !conditions.includes('types')) targets.push(conditions.includes('require') ? `require:${value}` : value);
      } else if (Array.isArray(value)) value.forEach((v) => walk(v, conditions));
      else if (value && typeof value === 'object') for (const [key, v] of Object.entries(value)) walk(v, key.startsWith('.') ? conditions : [...conditions, key]);
    };
    walk(root, []);
    return targets.some((t) => t.startsWith('require:') || t.endsWith('.cjs') || (manifest.type !== 'module' && t.endsWith('.js')));
  }
  const main = manifest.main ?? 'index.js';
  return !main.endsWith('.mjs') && (manifest.type !== 'module' || main.endsWith('.cjs'));
}

/**
 * The dependencies the CommonJS build must carry inside itself: every ESM-only dependency (Node < 20.19, or
 * `--no-experimental-require-module` as Jest-style loaders run, cannot `require()` it) with all it depends on,
 * since a strict layout (pnpm) would not let our dist resolve a dependency of a dependency.
 */
export function esmOnlyClosure(packageRoot: string): string[] {
  const bundled = new Set<string>();
  const add = (name: string, from: string): void => {
    if (bundled.has(name)) return;
    const dir = packageDir(name, from);
    if (!dir) return; // an optional dependency that is not installed
    bundled.add(name);
    for (const dep of Object.keys(readManifest(dir).dependencies ?? {})) add(dep, dir);
  };
  for (const dep of Object.keys(readManifest(packageRoot).dependencies ?? {})) {
    const dir = packageDir(dep, packageRoot);
    if (dir && !loadsWithRequire(readManifest(dir))) add(dep, packageRoot);
  }
  return [...bundled].sort();
}

/** Keeps `names` external in every format but CommonJS (tsup's `noExternal` applies to all formats). */
function externalExceptInCjs(names: string[]): Plugin {
  const matches = (path: string): boolean => names.some((n) => path === n || path.startsWith(`${n}/`));
  return {
    name: 'external-except-in-cjs',
    setup(build) {
      // tsup's own format marker: with `splitting`, a CJS build runs through esbuild as ESM and is converted after.
      if (build.initialOptions.define?.['TSUP_FORMAT'] === '"cjs"') return;
      build.onResolve({ filter: /^[^./]/ }, (args) => (matches(args.path) ? { path: args.path, external: true } : undefined));
    },
  };
}

const cjsBundled = esmOnlyClosure(process.cwd()); // tsup runs in the package's folder

/**
 * The build every published package shares: ESM + CJS + .d.ts for Node 20. The ESM build leaves dependencies
 * external; the CJS build bundles the ESM-only ones (see `esmOnlyClosure`), so `require()` never needs require(esm).
 */
export const packageBuild: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  noExternal: cjsBundled,
  esbuildPlugins: [externalExceptInCjs(cjsBundled)],
};
