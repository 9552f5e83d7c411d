import type { ReplicaRecord, ReplicaVersion } from '../contracts/replica-store.js';
import { MeridianError } from '../errors/meridian-error.js';
import { compareVectors, mergeVectors } from './version-vector.js';

/** A conflict as a custom resolver sees it: every concurrent version, oldest first. */
export interface ConflictInput {
  /** The key in conflict. */
  key: string;
  /** The concurrent versions (at least two), ordered by HLC version. */
  versions: ReplicaVersion[];
}

/** A resolver's choice to keep a value. */
export interface KeepValue {
  /** The value to keep (JSON). */
  value: unknown;
}

/** A resolver's choice to delete the key. */
export interface KeepDeleted {
  /** Always true. */
  deleted: true;
}

/** What a custom resolver returns: the value to keep, or a delete. */
export type ConflictOutcome = KeepValue | KeepDeleted;

/**
 * Custom conflict resolver. It runs in every region that sees the conflict, so
 * it must be deterministic: the same versions give the same outcome.
 */
export type ConflictResolver = (conflict: ConflictInput) => ConflictOutcome;

/** How concurrent writes are settled. */
export type ConflictPolicy = 'latest-wins' | 'primary-wins' | 'manual' | ConflictResolver;

/** What to do with an incoming record. */
export type Reconciled =
  | { kind: 'skip' }
  | { kind: 'write'; record: ReplicaRecord }
  | { kind: 'conflict'; record: ReplicaRecord; versions: ReplicaVersion[]; winner: ReplicaVersion | undefined; queued: boolean };

/** Context a policy needs. */
export interface ReconcileContext {
  policy: ConflictPolicy;
  /** Priority of a region for `primary-wins` (lower wins); unknown regions rank last. */
  priorityOf(regionId: string): number;
}

const byVersion = (a: ReplicaVersion, b: ReplicaVersion): number => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0);

function versionOf(r: ReplicaVersion): ReplicaVersion {
  const v: ReplicaVersion = { deleted: r.deleted, version: r.version, origin: r.origin };
  if (!r.deleted) v.value = r.value;
  return v;
}

/**
 * Settles an incoming record against the current one. Version vectors decide
 * whether one descends from the other (then the newer simply wins: no conflict)
 * or they are concurrent (a conflict for the policy). Deterministic, so every
 * region reaches the same record whatever order it sees writes in.
 */
export function reconcile(incoming: ReplicaRecord, current: ReplicaRecord | undefined, ctx: ReconcileContext): Reconciled {
  if (!current) return { kind: 'write', record: incoming };
  const order = compareVectors(incoming.vv, current.vv);
  if (order === 'before') return { kind: 'skip' };
  if (order === 'after') return { kind: 'write', record: incoming };
  if (order === 'equal' && sameVersions(incoming, current)) return { kind: 'skip' };
  // Concurrent (or the same history settled with different pending sets): merge.
  const versions = candidates(incoming, current);
  if (versions.length < 2) {
    const only = versions[0] ?? versionOf(incoming);
    return { kind: 'write', record: build(incoming.key, only, mergeVectors(incoming.vv, current.vv), []) };
  }
  const vv = mergeVectors(incoming.vv, current.vv);
  const policy = ctx.policy;
  if (policy === 'latest-wins' || policy === 'manual') {
    const winner = versions[versions.length - 1]!;
    const queued = policy === 'manual';
    const record = build(incoming.key, winner, vv, queued ? versions.slice(0, -1) : []);
    return { kind: 'conflict', record, versions, winner: queued ? undefined : winner, queued };
  }
  if (policy === 'primary-wins') {
    const winner = [...versions].sort((a, b) => ctx.priorityOf(a.origin) - ctx.priorityOf(b.origin) || byVersion(b, a))[0]!;
    return { kind: 'conflict', record: build(incoming.key, winner, vv, []), versions, winner, queued: false };
  }
  const outcome = policy({ key: incoming.key, versions: versions.map((v) => ({ ...v })) });
  const newest = versions[versions.length - 1]!;
  let merged: ReplicaVersion;
  if (outcome && typeof outcome === 'object' && 'deleted' in outcome && outcome.deleted === true) {
    merged = { deleted: true, version: newest.version, origin: newest.origin };
  } else if (outcome && typeof outcome === 'object' && 'value' in outcome) {
    merged = { value: outcome.value, deleted: false, version: newest.version, origin: newest.origin };
  } else {
    throw new MeridianError('INVALID_ARGUMENT', `conflict resolver returned ${JSON.stringify(outcome)} for "${incoming.key}"; expected { value } or { deleted: true }`);
  }
  return { kind: 'conflict', record: build(incoming.key, merged, vv, []), versions, winner: merged, queued: false };
}

/** The record `manual` would keep while the resolver's error is looked into: nothing is dropped. */
export function queueAsManual(incoming: ReplicaRecord, current: ReplicaRecord): Reconciled {
  return reconcile(incoming, current, { policy: 'manual', priorityOf: () => 0 });
}

function build(key: string, winner: ReplicaVersion, vv: Record<string, string>, conflicts: ReplicaVersion[]): ReplicaRecord {
  const record: ReplicaRecord = { key, deleted: winner.deleted, version: winner.version, origin: winner.origin, vv };
  if (!winner.deleted) record.value = winner.value;
  if (conflicts.length > 0) record.conflicts = conflicts.map(versionOf);
  return record;
}

function pendingOf(r: ReplicaRecord): ReplicaVersion[] {
  return [versionOf(r), ...(r.conflicts ?? []).map(versionOf)];
}

function sameVersions(a: ReplicaRecord, b: ReplicaRecord): boolean {
  const key = (r: ReplicaRecord) => pendingOf(r).map((v) => `${v.version}${v.deleted ? '-' : '+'}`).sort().join(',');
  return key(a) === key(b);
}

/**
 * Every version still in play, oldest first. A version one side holds that the
 * other side's vector already covers, without the other side still listing it,
 * was superseded there (overwritten or resolved): it is dropped, so a resolved
 * conflict does not come back when it meets a concurrent write.
 */
function candidates(a: ReplicaRecord, b: ReplicaRecord): ReplicaVersion[] {
  const out = new Map<string, ReplicaVersion>();
  const consider = (side: ReplicaRecord, other: ReplicaRecord): void => {
    const otherPending = new Set(pendingOf(other).map((v) => v.version));
    for (const v of pendingOf(side)) {
      const seen = other.vv[v.origin];
      const superseded = seen !== undefined && seen >= v.version && !otherPending.has(v.version);
      if (!superseded) out.set(v.version, v);
    }
  };
  consider(a, b);
  consider(b, a);
  return [...out.values()].sort(byVersion);
}
