import type { ReplicaRecord, ReplicaStore, ReplicaWrite, StoredRecord } from '../contracts/replica-store.js';
import { MeridianError } from '../errors/meridian-error.js';
import { decodeBatch, encodeRecordsJson, type EncodeOptions } from './batch-codec.js';
import { queueAsManual, reconcile, type ReconcileContext, type Reconciled } from './conflict-resolution.js';
import type { HybridLogicalClock } from './hlc.js';
import { recordEtag, toRecord, valueBytes } from './replica-record.js';
import type { TokenBucket } from './token-bucket.js';

/** Everything one delivery needs from the engine. */
export interface DeliveryContext {
  from: string;
  to: string;
  target: ReplicaStore;
  /** The target region's clock: it must not accept records from too far ahead. */
  targetHlc: HybridLogicalClock;
  reconcile: ReconcileContext;
  encode: EncodeOptions;
  maxValueBytes: number;
  maxBatchBytes: number;
  bucket: TokenBucket | undefined;
  signal: AbortSignal | undefined;
  onConflict(key: string, outcome: Extract<Reconciled, { kind: 'conflict' }>): void;
  onSkew(key: string, skewMillis: number): void;
  onRejectedRecord(key: string, error: MeridianError): void;
  onWritten?(record: ReplicaRecord): void;
}

/** What a delivery did. */
export interface DeliveryResult {
  /** Records at the head of the input that are done (applied, already present, or refused for good). */
  done: number;
  /** Highest `seq` among the done records (push cursors advance to it). */
  lastSeq: number | undefined;
  /** Encoded bytes carried. */
  bytes: number;
  /** JSON bytes before compression. */
  rawBytes: number;
  /** The key whose record is held back by clock skew (the rest wait behind it). */
  heldKey: string | undefined;
  /** Records written at the target. */
  written: number;
}

const CAS_ATTEMPTS = 5;

/**
 * Carries records from one region to another: drops what can never be applied
 * (reported), stops in front of a record whose clock is too far ahead (so
 * nothing behind it is reordered past it), encodes the rest as one frame
 * through the pair's bandwidth bucket, decodes and checks it as the receiving
 * side would, settles each key against the target's current record, and writes
 * with compare-and-set, re-settling keys a local writer changed meanwhile.
 */
export async function deliverBatch(records: readonly StoredRecord[] | readonly ReplicaRecord[], ctx: DeliveryContext): Promise<DeliveryResult> {
  // Each accepted record as JSON: what the frame carries, and an upper bound of its value's size.
  const accepted: string[] = [];
  let done = 0;
  let lastSeq: number | undefined;
  let heldKey: string | undefined;
  for (const record of records) {
    try {
      ctx.targetHlc.receive(record.version);
    } catch (error) {
      if (!MeridianError.hasCode(error, 'CLOCK_SKEW')) throw error;
      ctx.onSkew(record.key, ctx.targetHlc.skewOf(record.version));
      heldKey = record.key;
      break;
    }
    const json = JSON.stringify(toRecord(record));
    // A record's UTF-8 is at most 3 bytes per UTF-16 unit of its JSON: under the limit by that, its value is too.
    const bytes = json.length * 3 > ctx.maxValueBytes ? valueBytes(record.value) : 0;
    if (bytes > ctx.maxValueBytes) {
      ctx.onRejectedRecord(
        record.key,
        new MeridianError('VALUE_TOO_LARGE', `record "${record.key}" from ${ctx.from} holds ${bytes} bytes, over maxValueBytes=${ctx.maxValueBytes}; not replicated to ${ctx.to}`, {
          details: { key: record.key, bytes, from: ctx.from, to: ctx.to },
        }),
      );
    } else {
      accepted.push(json);
    }
    done += 1;
    if ('seq' in record) lastSeq = record.seq;
  }
  if (accepted.length === 0) return { done, lastSeq, bytes: 0, rawBytes: 0, heldKey, written: 0 };

  const encoded = await encodeRecordsJson(accepted, ctx.encode);
  await ctx.bucket?.take(encoded.frame.length, ctx.signal);
  const incoming = await decodeBatch(encoded.frame, { maxRawBytes: Math.max(ctx.maxBatchBytes, encoded.rawBytes), source: ctx.from });

  let todo = incoming;
  let written = 0;
  for (let attempt = 1; todo.length > 0; attempt++) {
    if (attempt > CAS_ATTEMPTS) {
      throw new MeridianError('PRECONDITION_FAILED', `${todo.length} keys kept changing in ${ctx.to} during ${CAS_ATTEMPTS} attempts; retrying next round`, {
        details: { from: ctx.from, to: ctx.to, keys: todo.slice(0, 5).map((r) => r.key) },
      });
    }
    const currents = await ctx.target.getMany(
      todo.map((r) => r.key),
      { signal: ctx.signal },
    );
    const writes: ReplicaWrite[] = [];
    const outcomes = new Map<string, { record: ReplicaRecord; conflict?: Extract<Reconciled, { kind: 'conflict' }> }>();
    todo.forEach((record, i) => {
      const current = currents[i];
      let outcome: Reconciled;
      try {
        outcome = reconcile(record, current, ctx.reconcile);
      } catch (error) {
        // A custom resolver failed: keep every version (manual) rather than pick one wrongly.
        ctx.onRejectedRecord(record.key, MeridianError.isInstance(error) ? error : new MeridianError('INVALID_ARGUMENT', `conflict resolver threw for "${record.key}": ${(error as Error).message}`, { cause: error }));
        outcome = queueAsManual(record, current!);
      }
      if (outcome.kind === 'skip') return;
      if (current && recordEtag(outcome.record) === current.etag) return;
      writes.push({ key: record.key, record: outcome.record, expected: current?.etag ?? null });
      outcomes.set(record.key, { record: outcome.record, ...(outcome.kind === 'conflict' ? { conflict: outcome } : {}) });
    });
    if (writes.length === 0) break;
    const result = await ctx.target.apply(writes, { signal: ctx.signal });
    for (const key of result.applied) {
      const o = outcomes.get(key)!;
      written += 1;
      if (o.conflict) ctx.onConflict(key, o.conflict);
      ctx.onWritten?.(o.record);
    }
    const rejected = new Set(result.rejected);
    todo = todo.filter((r) => rejected.has(r.key));
  }
  return { done, lastSeq, bytes: encoded.frame.length, rawBytes: encoded.rawBytes, heldKey, written };
}
