import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// A command, not a library: one ESM entry with a shebang, no types. Dependencies
// (the @meridian packages included) stay external and are installed with it.
export default defineConfig({
  ...packageBuild,
  entry: ['src/cli.ts'],
  format: ['esm'],
  dts: false,
  banner: { js: '#!/usr/bin/env node' },
});
