import type { DeployOptions, DeployProgress } from '@meridian/core';

/** Calls the host's `onProgress`; a callback that throws must not fail the deploy. */
export function reportProgress(options: DeployOptions, p: DeployProgress): void {
  try {
    options.onProgress?.(p);
  } catch {
    // Swallowed on purpose: see above.
  }
}
