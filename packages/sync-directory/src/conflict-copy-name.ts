import { hlcWall } from '@meridian/core';

/** Conflict copies end like `.conflict-eu-west-20261206T105600123Z`; the scan never syncs them. */
export const CONFLICT_COPY = /\.conflict-[^/]+-\d{8}T\d{9}Z$/;

/**
 * Where a losing version of `path` is kept under the `manual` policy:
 * `NAME.conflict-REGION-TIME`, REGION the version's origin and TIME its write
 * time (UTC, to the millisecond), so every region that holds the conflict
 * names the copy the same way.
 */
export function conflictCopyPath(path: string, origin: string, version: string): string {
  const time = new Date(hlcWall(version)).toISOString().replace(/[-:.]/g, '');
  return `${path}.conflict-${origin.replace(/[/\\]/g, '_')}-${time}`;
}
