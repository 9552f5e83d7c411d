import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig({
  ...packageBuild,
  // The CJS build needs import.meta.url to find worker/region-worker.mjs.
  shims: true,
  external: ['@meridian/core'],
});
