import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string, entry = 'index'): string => fileURLToPath(new URL(`./packages/${pkg}/src/${entry}.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against source: one copy of each workspace package, no stale dist.
    // A subpath before its package: '@meridian/core' would also match '@meridian/core/spi'.
    alias: {
      '@meridian/core/spi': src('core', 'spi'),
      '@meridian/core': src('core'),
      '@meridian/providers-local': src('providers-local'),
      '@meridian/testkit': src('testkit'),
      '@meridian/georouter': src('georouter'),
      '@meridian/session-migration': src('session-migration'),
      '@meridian/replica-redis': src('replica-redis'),
      '@meridian/metrics-prometheus': src('metrics-prometheus'),
      '@meridian/providers-k8s': src('providers-k8s'),
      '@meridian/providers-azure': src('providers-azure'),
      '@meridian/dispatcher': src('dispatcher'),
      '@meridian/sync-directory': src('sync-directory'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'docs/test/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The skipped-suites list comes last: the output ends with what was skipped and how to enable it.
    reporters: ['default', 'json', './packages/testkit/src/skipped-suites-reporter.ts'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});
