import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  // The CJS build needs import.meta.url to find worker/region-worker.mjs.
  shims: true,
  external: ['@meridian/core'],
});
