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
