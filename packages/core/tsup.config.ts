import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

// Two entries: `@meridian/core` (applications) and `@meridian/core/spi` (provider and adapter authors). Splitting
// (CJS included) puts the modules they share in one chunk, so both entries see one copy of each class.
export default defineConfig({ ...packageBuild, entry: ['src/index.ts', 'src/spi.ts'], splitting: true });
