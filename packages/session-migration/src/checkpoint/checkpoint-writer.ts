import { MeridianError, type SnapshotStore } from '@meridian/core';
import type { SnapshotCodec } from '../codec/snapshot-codec.js';
import { decodeCheckpoint } from './checkpoint-envelope.js';

/** @internal A store call that failed (not a lost race, a refused key or an abort): the round counts the store as down. */
export class StoreFailure extends Error {
  constructor(readonly error: unknown) {
    super((error as Error)?.message ?? String(error), { cause: error });
  }
}

const ATTEMPTS = 4;

/** A refused key (INVALID_ARGUMENT) fails one session; an abort is the checkpointer's own; anything else means the store is down. */
function storeError(error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted || MeridianError.hasCode(error, 'INVALID_ARGUMENT') || MeridianError.hasCode(error, 'ABORTED')) return error;
  return new StoreFailure(error);
}

/**
 * @internal Replaces the checkpoint under `key` with a conditional write, so a
 * checkpointer never overwrites a newer checkpoint (another instance's, taken
 * later) with an older one. The store's put is atomic: a reader sees the old
 * checkpoint or the new one. A stored checkpoint that does not decode (torn by a
 * foreign writer, rotated-out key) is replaced.
 * @returns `written: false` when the store already holds a checkpoint taken at or after `takenAt`.
 */
export async function replaceCheckpoint(
  store: SnapshotStore,
  codec: SnapshotCodec,
  key: string,
  bytes: Buffer,
  takenAt: number,
  knownEtag: string | undefined,
  signal: AbortSignal,
): Promise<{ written: boolean; etag: string; takenAt: number }> {
  let condition: { ifMatch: string } | { ifNoneMatch: '*' } = knownEtag ? { ifMatch: knownEtag } : { ifNoneMatch: '*' };
  for (let attempt = 1; ; attempt++) {
    try {
      const { etag } = await store.put(key, bytes, { ...condition, signal });
      return { written: true, etag, takenAt };
    } catch (error) {
      if (!MeridianError.hasCode(error, 'PRECONDITION_FAILED')) throw storeError(error, signal);
      if (attempt >= ATTEMPTS) throw error;
    }
    // Someone else wrote since we last did: read what is there and decide.
    let current;
    try {
      current = await store.get(key, { signal });
    } catch (error) {
      throw storeError(error, signal);
    }
    if (!current) {
      condition = { ifNoneMatch: '*' };
      continue;
    }
    let theirs: number | undefined;
    try {
      theirs = decodeCheckpoint(codec, current.bytes).takenAt;
    } catch {
      theirs = undefined;
    }
    if (theirs !== undefined && theirs >= takenAt) return { written: false, etag: current.etag, takenAt: theirs };
    condition = { ifMatch: current.etag };
  }
}
