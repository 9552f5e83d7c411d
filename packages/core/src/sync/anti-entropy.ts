import { MERKLE_MAX_BITS, MERKLE_TREE_VERSION, type MerkleSummary, type ReplicaEntry, type ReplicaStore } from '../contracts/replica-store.js';
import { MeridianError } from '../errors/meridian-error.js';
import { childrenOf, EMPTY_SUMMARY, isFingerprint, isSummary, parseNode, xorFingerprints, type MerkleNode } from './merkle.js';

/** What one direction must send: the keys that differ, or `all` when the other side held nothing at all. */
export type KeysToSend = string[] | 'all';

/** What a Merkle comparison found, for both directions. */
export interface MerkleDiff {
  /** Keys whose record in `a` differs from `b`'s or is missing there: what a → b must send. */
  aToB: KeysToSend;
  /** Keys whose record in `b` differs from `a`'s or is missing there: what b → a must send. */
  bToA: KeysToSend;
  /** The keys of `aToB` that `b` did not hold at all when the walk read it (empty with `all`: `b` held nothing). */
  absentInB: ReadonlySet<string>;
  /** The keys of `bToA` that `a` did not hold at all when the walk read it (empty with `all`: `a` held nothing). */
  absentInA: ReadonlySet<string>;
  /** Bytes of the summaries and entries read from both stores (as JSON). */
  metadataBytes: number;
  /** Nodes whose entries were compared. */
  nodes: number;
}

/** One side of the comparison: a store and the region it belongs to (for messages). */
export interface WalkSide {
  region: string;
  store: ReplicaStore;
}

// A differing node whose two sides hold this many records or fewer is settled by its entries: cheaper than
// splitting further (measured: 4 keeps the walk at about 2 % of a full copy for a 1 % change).
const SMALL_NODE = 4;
// Entries read in one call, and the largest one-sided node read whole rather than split.
const ENTRIES_PER_CALL = 8192;

interface Pending {
  name: string;
  node: MerkleNode;
  // Undefined when a side changed between reading a node and its child (the other child cannot be inferred).
  a: MerkleSummary | undefined;
  b: MerkleSummary | undefined;
}

const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');
const same = (x: MerkleSummary, y: MerkleSummary): boolean => x[0] === y[0] && x[1] === y[1];

/**
 * Walks the anti-entropy trees of two stores from the root down, splitting
 * only nodes whose summaries differ, and compares the entries of the small
 * differing nodes it ends on. Per split it reads one child of each side and
 * infers the other (a node is the XOR of its children); a side that holds
 * nothing under a node is not asked about it again. Cost is proportional to
 * what differs: two stores in step exchange one summary each, however large
 * they are. One walk serves both directions of a pair. When one side holds
 * nothing, the walk stops at the roots: the other side sends `all`.
 */
export async function merkleDiff(a: WalkSide, b: WalkSide, signal?: AbortSignal): Promise<MerkleDiff> {
  let metadataBytes = 0;
  const summaries = async (side: WalkSide, nodes: string[]): Promise<MerkleSummary[]> => {
    if (nodes.length === 0) return [];
    const answer: unknown = await side.store.digest(nodes, { signal });
    if (!Array.isArray(answer) || answer.length !== nodes.length || !answer.every(isSummary)) {
      throw treeMismatch(side, 'digest', `answered ${describe(answer)} for ${nodes.length} nodes, not one [fingerprint, count] summary per node`);
    }
    metadataBytes += bytesOf(answer);
    return answer;
  };

  const [[rootA], [rootB]] = await Promise.all([summaries(a, ['']), summaries(b, [''])]);
  // One side holds nothing: the other sends everything it has, read page by page, without listing its keys.
  if (rootA![1] === 0 || rootB![1] === 0) {
    return { aToB: rootB![1] === 0 && rootA![1] > 0 ? 'all' : [], bToA: rootA![1] === 0 && rootB![1] > 0 ? 'all' : [], absentInB: NONE, absentInA: NONE, metadataBytes, nodes: 0 };
  }
  let level: Pending[] = [{ name: '', node: parseNode('')!, a: rootA, b: rootB }];
  // The differing nodes settled by their entries, per side that holds records there, with how many.
  const settleA: Array<[string, number]> = [];
  const settleB: Array<[string, number]> = [];
  let nodes = 0;
  while (level.length > 0) {
    await resolveUnknown(level, a, b, summaries);
    const split: Array<Pending & { a: MerkleSummary; b: MerkleSummary }> = [];
    for (const p of level as Array<Pending & { a: MerkleSummary; b: MerkleSummary }>) {
      if (same(p.a, p.b)) continue;
      const [countA, countB] = [p.a[1], p.b[1]];
      const oneSided = (countA === 0 || countB === 0) && countA + countB <= ENTRIES_PER_CALL;
      if (oneSided || countA + countB <= SMALL_NODE || p.node.bits === MERKLE_MAX_BITS) {
        nodes += 1;
        if (countA > 0) settleA.push([p.name, countA]);
        if (countB > 0) settleB.push([p.name, countB]);
      } else {
        split.push(p);
      }
    }
    // The 0-child of each node to split, from each side that holds anything there.
    const [childA, childB] = await Promise.all([
      summaries(a, split.filter((p) => p.a[1] > 0).map((p) => childrenOf(p.node)[0])),
      summaries(b, split.filter((p) => p.b[1] > 0).map((p) => childrenOf(p.node)[0])),
    ]);
    let [i, j] = [0, 0];
    level = split.flatMap((p) => {
      const [zero, one] = childrenOf(p.node);
      const a0 = p.a[1] > 0 ? childA[i++]! : EMPTY_SUMMARY;
      const b0 = p.b[1] > 0 ? childB[j++]! : EMPTY_SUMMARY;
      return [
        { name: zero, node: parseNode(zero)!, a: a0, b: b0 },
        { name: one, node: parseNode(one)!, a: otherChild(p.a, a0), b: otherChild(p.b, b0) },
      ];
    });
  }

  const [entriesA, entriesB] = await Promise.all([entriesOf(a, settleA, signal), entriesOf(b, settleB, signal)]);
  metadataBytes += entriesA.bytes + entriesB.bytes;
  const aToB = missingFrom(entriesA.entries, entriesB.entries);
  const bToA = missingFrom(entriesB.entries, entriesA.entries);
  return { aToB: aToB.keys, bToA: bToA.keys, absentInB: aToB.absent, absentInA: bToA.absent, metadataBytes, nodes };
}

const NONE: ReadonlySet<string> = new Set();

/**
 * Keys of `from` whose fingerprint `to` does not have, and which of them `to` does not hold at all: the
 * entries of every node settled here were read from both sides that hold anything in it, so a key missing
 * from `to`'s entries was absent there (a node `to` held nothing in was not read from it: absent too).
 */
function missingFrom(from: readonly ReplicaEntry[], to: readonly ReplicaEntry[]): { keys: string[]; absent: Set<string> } {
  if (to.length === 0) {
    const keys = from.map(([key]) => key);
    return { keys, absent: new Set(keys) };
  }
  const there = new Map(to);
  const keys: string[] = [];
  const absent = new Set<string>();
  for (const [key, fingerprint] of from) {
    const theirs = there.get(key);
    if (theirs === fingerprint) continue;
    keys.push(key);
    if (theirs === undefined) absent.add(key);
  }
  return { keys, absent };
}

/** The node's other child: the parent without the known child, undefined if they do not add up. */
function otherChild(parent: MerkleSummary, child: MerkleSummary): MerkleSummary | undefined {
  const count = parent[1] - child[1];
  const fingerprint = xorFingerprints(parent[0], child[0]);
  if (count < 0 || (count === 0 && fingerprint !== EMPTY_SUMMARY[0])) return undefined;
  return [fingerprint, count];
}

// A side written to between reading a node and its child: read the nodes whose summary could not be inferred.
async function resolveUnknown(
  level: Pending[],
  a: WalkSide,
  b: WalkSide,
  summaries: (side: WalkSide, nodes: string[]) => Promise<MerkleSummary[]>,
): Promise<void> {
  const missingA = level.filter((p) => p.a === undefined);
  const missingB = level.filter((p) => p.b === undefined);
  const [readA, readB] = await Promise.all([summaries(a, missingA.map((p) => p.name)), summaries(b, missingB.map((p) => p.name))]);
  missingA.forEach((p, i) => (p.a = readA[i]));
  missingB.forEach((p, i) => (p.b = readB[i]));
}

/** The entries of `nodes` (name and count), in calls of about ENTRIES_PER_CALL entries each. */
async function entriesOf(side: WalkSide, nodes: Array<[string, number]>, signal: AbortSignal | undefined): Promise<{ entries: ReplicaEntry[]; bytes: number }> {
  const entries: ReplicaEntry[] = [];
  let bytes = 0;
  for (let start = 0; start < nodes.length; ) {
    let end = start;
    for (let total = 0; end < nodes.length && (end === start || total + nodes[end]![1] <= ENTRIES_PER_CALL); end++) total += nodes[end]![1];
    const answer: unknown = await side.store.entries(
      nodes.slice(start, end).map(([name]) => name),
      { signal },
    );
    if (!Array.isArray(answer) || !answer.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && isFingerprint(e[1]))) {
      throw treeMismatch(side, 'entries', `answered ${describe(answer)}, not a list of [key, fingerprint] entries`);
    }
    bytes += bytesOf(answer);
    for (const entry of answer as ReplicaEntry[]) entries.push(entry);
    start = end;
  }
  return { entries, bytes };
}

function treeMismatch(side: WalkSide, method: string, detail: string): MeridianError {
  return new MeridianError(
    'SYNC_PROTOCOL_ERROR',
    `the replica store of ${side.region} ${detail}: it does not speak anti-entropy tree version ${MERKLE_TREE_VERSION} (a store written for an older Meridian answers ${method}() in the version 1 form)`,
    { details: { source: side.region } },
  );
}

const describe = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};
