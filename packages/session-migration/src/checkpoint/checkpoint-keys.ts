/** Prefix of checkpoint keys in the snapshot store (migration snapshots use `mig.`, so sweeps never touch these). */
export const CHECKPOINT_KEY_PREFIX = 'ckpt.';

/** The one key a session's current checkpoint lives under: replaced in place, never accumulated. */
export function checkpointKey(sessionId: string): string {
  return `${CHECKPOINT_KEY_PREFIX}${sessionId}`;
}

/** Prefix of the per-region round manifests: which checkpoints a round found still current. */
export const CHECKPOINT_ROUND_KEY_PREFIX = 'ckptr.';

/** The key of a region's latest round manifest. */
export function checkpointRoundKey(regionId: string): string {
  return `${CHECKPOINT_ROUND_KEY_PREFIX}${regionId}`;
}
