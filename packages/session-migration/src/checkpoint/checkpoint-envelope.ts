import { MeridianError } from '@meridian/core';
import type { SnapshotCodec } from '../codec/snapshot-codec.js';
import type { SessionCheckpoint } from './checkpoint-types.js';

const KIND = 'meridian.checkpoint/1';

/** @internal What is encoded (encrypted, checksummed) under a checkpoint key. */
export interface CheckpointEnvelope {
  kind: typeof KIND;
  sessionId: string;
  region: string;
  version?: string | number;
  takenAt: number;
  stateSha256?: string;
  state: unknown;
}

/** @internal */
export function encodeCheckpoint(codec: SnapshotCodec, checkpoint: Omit<CheckpointEnvelope, 'kind'>): Buffer {
  return codec.encode({ kind: KIND, ...checkpoint } satisfies CheckpointEnvelope);
}

/**
 * @internal Decodes and checks a checkpoint: the codec refuses a tampered,
 * truncated or rotated-out one (SNAPSHOT_CORRUPT); this refuses one that is not
 * a checkpoint, or a checkpoint of another session stored under this key.
 */
export function decodeCheckpoint(codec: SnapshotCodec, bytes: Buffer, sessionId?: string): SessionCheckpoint {
  const keyId = codec.header(bytes).keyId;
  const value = codec.decode<Partial<CheckpointEnvelope> | null>(bytes);
  const refuse = (why: string) => new MeridianError('SNAPSHOT_CORRUPT', `Checkpoint refused: ${why}`, { details: { reason: why } });
  if (value === null || typeof value !== 'object' || value.kind !== KIND) throw refuse('not a session checkpoint');
  if (typeof value.sessionId !== 'string' || typeof value.region !== 'string' || typeof value.takenAt !== 'number') throw refuse('missing sessionId, region or takenAt');
  if (sessionId !== undefined && value.sessionId !== sessionId) throw refuse(`holds session "${value.sessionId}", not "${sessionId}"`);
  return {
    sessionId: value.sessionId,
    region: value.region,
    ...(value.version === undefined ? {} : { version: value.version }),
    takenAt: value.takenAt,
    ...(value.stateSha256 === undefined ? {} : { stateSha256: value.stateSha256 }),
    keyId,
    state: value.state,
  };
}

const ROUND_KIND = 'meridian.checkpoint-round/1';

/**
 * @internal A round's manifest for one region: the sessions whose checkpoint the
 * round found current (written, or unchanged since), by the version or state
 * hash the checkpoint holds. A recovery uses it to tell how old a state really
 * is: an unchanged session's checkpoint may have been written long ago but was
 * still its state when this round started.
 */
export interface CheckpointRoundManifest {
  kind: typeof ROUND_KIND;
  region: string;
  startedAt: number;
  confirmed: Record<string, string | number>;
  /**
   * Sessions this round could not reach (their region dying, a timeout) that an
   * earlier round of this checkpointer confirmed: identity and that round's
   * start. Without it, a round cut short by the region's death would replace
   * the manifest and date those sessions by when their checkpoint was written.
   */
  earlier?: Record<string, [identity: string | number, confirmedAt: number]>;
}

/** @internal */
export function encodeRoundManifest(codec: SnapshotCodec, manifest: Omit<CheckpointRoundManifest, 'kind'>): Buffer {
  return codec.encode({ kind: ROUND_KIND, ...manifest } satisfies CheckpointRoundManifest);
}

/** @internal Decodes a round manifest; undefined when it is not one (or not this region's). Throws SNAPSHOT_CORRUPT as the codec does. */
export function decodeRoundManifest(codec: SnapshotCodec, bytes: Buffer, regionId: string): CheckpointRoundManifest | undefined {
  const value = codec.decode<Partial<CheckpointRoundManifest> | null>(bytes);
  if (value === null || typeof value !== 'object' || value.kind !== ROUND_KIND || value.region !== regionId) return undefined;
  if (typeof value.startedAt !== 'number' || value.confirmed === null || typeof value.confirmed !== 'object') return undefined;
  if (value.earlier !== undefined && (value.earlier === null || typeof value.earlier !== 'object')) return undefined;
  return value as CheckpointRoundManifest;
}

/** @internal When a manifest says a checkpoint with `identity` was last found current, or undefined. */
export function manifestConfirmedAt(manifest: CheckpointRoundManifest | undefined, sessionId: string, identity: string | number | undefined): number | undefined {
  if (!manifest || identity === undefined) return undefined;
  if (manifest.confirmed[sessionId] === identity) return manifest.startedAt;
  const earlier = manifest.earlier?.[sessionId];
  return Array.isArray(earlier) && earlier[0] === identity && typeof earlier[1] === 'number' ? earlier[1] : undefined;
}

/** @internal What identifies a checkpoint's state in a manifest: the adapter's version, else the state's hash. */
export function checkpointIdentity(checkpoint: { version?: string | number; stateSha256?: string }): string | number | undefined {
  return checkpoint.version ?? checkpoint.stateSha256;
}
