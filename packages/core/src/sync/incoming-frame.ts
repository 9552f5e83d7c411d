import type { ReplicaRecord, ReplicaStore, ReplicaWrite, StoredRecord } from '../contracts/replica-store.js';
import { MeridianError } from '../errors/meridian-error.js';
import { queueAsManual, reconcile, type ReconcileContext, type Reconciled } from './conflict-resolution.js';
import { recordEtag } from './replica-record.js';

/** What the receiving side of a delivery needs. */
export interface ReceiverContext {
  from: string;
  to: string;
  target: ReplicaStore;
  reconcile: ReconcileContext;
  signal: AbortSignal | undefined;
  onConflict(key: string, outcome: Extract<Reconciled, { kind: 'conflict' }>): void;
  onRejectedRecord(key: string, error: MeridianError): void;
  onWritten?(record: ReplicaRecord): void;
}

const CAS_ATTEMPTS = 5;

/**
 * Keys a Merkle walk found absent at the target (`all`: it held nothing): their current record is not read
 * before the first write. That write's `expected: null` is a compare-and-set, so a record that appeared at
 * the target since the walk refuses it, and the next attempt reads and settles the key as any other.
 */
export type KnownAbsent = 'all' | ReadonlySet<string>;

/**
 * Applies a decoded frame at the target: settles each key against the
 * target's current record and writes with compare-and-set, re-settling keys a
 * local writer changed meanwhile. Returns how many records were written.
 */
export async function applyIncoming(incoming: readonly ReplicaRecord[], ctx: ReceiverContext, absent?: KnownAbsent): Promise<number> {
  let todo = incoming;
  let written = 0;
  for (let attempt = 1; todo.length > 0; attempt++) {
    if (attempt > CAS_ATTEMPTS) {
      throw new MeridianError('PRECONDITION_FAILED', `${todo.length} keys kept changing in ${ctx.to} during ${CAS_ATTEMPTS} attempts; retrying next round`, {
        details: { from: ctx.from, to: ctx.to, keys: todo.slice(0, 5).map((r) => r.key) },
      });
    }
    const currents = await currentsOf(todo, ctx, attempt === 1 ? absent : undefined);
    const writes: ReplicaWrite[] = [];
    const outcomes = new Map<string, Exclude<Reconciled, { kind: 'skip' }>>();
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
      outcomes.set(record.key, outcome);
    });
    if (writes.length === 0) break;
    const result = await ctx.target.apply(writes, { signal: ctx.signal });
    for (const key of result.applied) {
      const outcome = outcomes.get(key)!;
      written += 1;
      if (outcome.kind === 'conflict') ctx.onConflict(key, outcome);
      ctx.onWritten?.(outcome.record);
    }
    const rejected = new Set(result.rejected);
    todo = todo.filter((r) => rejected.has(r.key));
  }
  return written;
}

// The target's records for `todo` (in its order), undefined without a read for the keys known absent.
async function currentsOf(todo: readonly ReplicaRecord[], ctx: ReceiverContext, absent: KnownAbsent | undefined): Promise<Array<StoredRecord | undefined>> {
  if (absent === 'all') return new Array<undefined>(todo.length).fill(undefined);
  if (absent === undefined || absent.size === 0) return ctx.target.getMany(todo.map((r) => r.key), { signal: ctx.signal });
  const toRead = todo.filter((r) => !absent.has(r.key));
  const read = toRead.length === 0 ? [] : await ctx.target.getMany(toRead.map((r) => r.key), { signal: ctx.signal });
  let i = 0;
  return todo.map((r) => (absent.has(r.key) ? undefined : read[i++]));
}
