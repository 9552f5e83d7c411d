import { fileURLToPath } from 'node:url';

/**
 * Path of the region worker script. It ships as plain JavaScript in `worker/`,
 * one level above both `src/` and `dist/`, so the same relative URL works in
 * tests (from source) and in the published package (ESM and CJS builds).
 */
export function defaultWorkerPath(): string {
  return fileURLToPath(new URL('../worker/region-worker.mjs', import.meta.url));
}
