/** Prefix of checkpoint keys in the snapshot store (migration snapshots use `mig.`, so sweeps never touch these). */
export const CHECKPOINT_KEY_PREFIX = 'ckpt.';

/** The one key a session's current checkpoint lives under: replaced in place, never accumulated. */
export function checkpointKey(sessionId: string): string {
  return `${CHECKPOINT_KEY_PREFIX}${sessionId}`;
}
