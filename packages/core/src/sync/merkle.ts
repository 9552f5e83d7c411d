import { MERKLE_LEAF_DEPTH, MERKLE_MAX_BITS, type MerkleSummary } from '../contracts/replica-store.js';
import { MeridianError } from '../errors/meridian-error.js';
import { keyHash } from './replica-record.js';

// `<hex>` (a multiple of 4 bits) or `<hex>/<bits>`; the rest is checked in parseNode.
const NODE = /^([0-9a-f]{0,16})(?:\/([1-9][0-9]?))?$/;
const FINGERPRINT = /^[0-9a-f]{16}$/;

/** A parsed tree node: the keys whose hash starts with its first `bits` bits. */
export interface MerkleNode {
  /** The bits as hex digits (the bits past `bits` in the last digit are zero). */
  hex: string;
  /** How many bits of the key hash, 0 (the root) to `MERKLE_MAX_BITS`. */
  bits: number;
}

/** The summary of a node that holds no record. */
export const EMPTY_SUMMARY: MerkleSummary = ['0000000000000000', 0];

/**
 * Parses a node name (see the ReplicaStore contract): `''` is the root, `'a'`
 * the keys whose hash starts with hex digit `a` (4 bits), `'8/1'` those whose
 * first bit is 1, `'a4/7'` those starting with bits 1010010. Undefined when
 * the name is not canonical.
 */
export function parseNode(name: string): MerkleNode | undefined {
  const match = typeof name === 'string' ? NODE.exec(name) : null;
  if (!match) return undefined;
  const hex = match[1]!;
  if (match[2] === undefined) return { hex, bits: hex.length * 4 };
  const bits = Number(match[2]);
  const partial = bits % 4;
  if (bits > MERKLE_MAX_BITS || partial === 0 || hex.length !== Math.ceil(bits / 4)) return undefined;
  // The bits past `bits` in the last digit must be zero, so every node has one name.
  if (parseInt(hex[hex.length - 1]!, 16) % (1 << (4 - partial)) !== 0) return undefined;
  return { hex, bits };
}

/** The name of the node of the first `bits` bits of a key hash (hex). */
export function nodeName(hashHex: string, bits: number): string {
  const digits = Math.ceil(bits / 4);
  const partial = bits % 4;
  if (partial === 0) return hashHex.slice(0, digits);
  const last = parseInt(hashHex[digits - 1]!, 16) & ~((1 << (4 - partial)) - 1) & 15;
  return `${hashHex.slice(0, digits - 1)}${last.toString(16)}/${bits}`;
}

/** The two children of a node (one bit more): the 0 side, then the 1 side. */
export function childrenOf(node: MerkleNode): [string, string] {
  const bits = node.bits + 1;
  // The new bit starts a digit when the node is a whole number of digits, else it is the next bit of its last digit.
  const base = node.bits % 4 === 0 ? `${node.hex}0` : node.hex;
  const one = (parseInt(base[base.length - 1]!, 16) | (8 >> node.bits % 4)).toString(16);
  const suffix = bits % 4 === 0 ? '' : `/${bits}`;
  return [`${base}${suffix}`, `${base.slice(0, -1)}${one}${suffix}`];
}

/** True when the key hash (hex) starts with the node's bits. */
export function hashInNode(hashHex: string, node: MerkleNode): boolean {
  const whole = node.bits >> 2;
  if (hashHex.slice(0, whole) !== node.hex.slice(0, whole)) return false;
  const partial = node.bits % 4;
  if (partial === 0) return true;
  const shift = 4 - partial;
  return parseInt(hashHex[whole]!, 16) >> shift === parseInt(node.hex[whole]!, 16) >> shift;
}

/** The storage leaf (first {@link MERKLE_LEAF_DEPTH} hex digits) a key hash belongs to. */
export function leafOf(hashHex: string): string {
  return hashHex.slice(0, MERKLE_LEAF_DEPTH);
}

/** A record's fingerprint: the first 16 hex digits (64 bits) of its etag. */
export function fingerprintOf(etag: string): string {
  return etag.slice(0, 16);
}

/** XOR of two fingerprints (16 hex digits each). */
export function xorFingerprints(a: string, b: string): string {
  const hi = (parseInt(a.slice(0, 8), 16) ^ parseInt(b.slice(0, 8), 16)) >>> 0;
  const lo = (parseInt(a.slice(8), 16) ^ parseInt(b.slice(8), 16)) >>> 0;
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** Throws `INVALID_ARGUMENT` unless `nodes` is an array of canonical node names. */
export function checkNodes(nodes: readonly string[]): void {
  if (!Array.isArray(nodes)) throw new MeridianError('INVALID_ARGUMENT', 'nodes must be an array of Merkle node names');
  for (const name of nodes) {
    if (parseNode(name) === undefined) {
      throw new MeridianError(
        'INVALID_ARGUMENT',
        `node ${JSON.stringify(name)} is not a Merkle node name: lower-case hex digits, with "/<bits>" when the bits (at most ${MERKLE_MAX_BITS}) are not a multiple of 4, unused bits zero (e.g. "", "a", "8/1", "a4/7")`,
      );
    }
  }
}

/** True for a summary as the contract defines it: `[16 hex digits, count]`. */
export function isSummary(value: unknown): value is MerkleSummary {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === 'string' &&
    FINGERPRINT.test(value[0]) &&
    Number.isSafeInteger(value[1]) &&
    (value[1] as number) >= 0 &&
    (value[1] !== 0 || value[0] === EMPTY_SUMMARY[0])
  );
}

/** True for a fingerprint: 16 lower-case hex digits. */
export function isFingerprint(value: unknown): value is string {
  return typeof value === 'string' && FINGERPRINT.test(value);
}

/**
 * Reference summaries (see the ReplicaStore contract), computed from the
 * records themselves with nothing cached: for each node, the XOR of the
 * fingerprints of the records whose key hash starts with its bits, and their
 * count. Slow (every record for every node); stores keep summaries as they go
 * and the conformance suite compares them with this.
 */
export function merkleSummaries(records: ReadonlyArray<{ key: string; etag: string }>, nodes: readonly string[]): MerkleSummary[] {
  checkNodes(nodes);
  const hashed = records.map((r) => ({ hash: keyHash(r.key), fingerprint: fingerprintOf(r.etag) }));
  return nodes.map((name) => {
    const node = parseNode(name)!;
    let summary = EMPTY_SUMMARY;
    for (const r of hashed) if (hashInNode(r.hash, node)) summary = [xorFingerprints(summary[0], r.fingerprint), summary[1] + 1];
    return summary;
  });
}
