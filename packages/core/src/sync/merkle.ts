import { createHash } from 'node:crypto';
import { MERKLE_LEAF_DEPTH } from '../contracts/replica-store.js';
import { MeridianError } from '../errors/meridian-error.js';

const HEX = '0123456789abcdef';
const PREFIX = /^[0-9a-f]*$/;

/** SHA-1 hex of a string. */
function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

/** The leaf (first hex digits of the key hash) a key hash belongs to. */
export function leafOf(keyHashHex: string): string {
  return keyHashHex.slice(0, MERKLE_LEAF_DEPTH);
}

/** The 16 children of a prefix. */
export function childrenOf(prefix: string): string[] {
  return [...HEX].map((digit) => prefix + digit);
}

/** Throws `INVALID_ARGUMENT` unless every prefix is lower-case hex no deeper than the leaves (or exactly leaf depth). */
export function checkPrefixes(prefixes: readonly string[], exactLeaf: boolean): void {
  if (!Array.isArray(prefixes)) throw new MeridianError('INVALID_ARGUMENT', 'prefixes must be an array of hex strings');
  for (const p of prefixes) {
    const ok = typeof p === 'string' && PREFIX.test(p) && (exactLeaf ? p.length === MERKLE_LEAF_DEPTH : p.length <= MERKLE_LEAF_DEPTH);
    if (!ok) {
      throw new MeridianError(
        'INVALID_ARGUMENT',
        `prefix ${JSON.stringify(p)} is not ${exactLeaf ? `a leaf (${MERKLE_LEAF_DEPTH} lower-case hex digits)` : `lower-case hex of at most ${MERKLE_LEAF_DEPTH} digits`}`,
      );
    }
  }
}

/** Digest of one leaf from its entry lines (`"<keyHash> <etag>"`, any order). */
export function leafDigest(lines: readonly string[]): string {
  return sha1([...lines].sort().map((line) => `${line}\n`).join(''));
}

/**
 * Reference Merkle digests (see the ReplicaStore contract): `leafDigests`
 * maps a leaf to its digest; missing leaves are empty. Memoizes inner nodes
 * within one call.
 */
export function merkleDigests(prefixes: readonly string[], leafDigests: (leaf: string) => string): Record<string, string> {
  const memo = new Map<string, string>();
  const digest = (prefix: string): string => {
    if (prefix.length === MERKLE_LEAF_DEPTH) return leafDigests(prefix);
    let known = memo.get(prefix);
    if (known === undefined) {
      known = sha1(childrenOf(prefix).map(digest).join(''));
      memo.set(prefix, known);
    }
    return known;
  };
  const out: Record<string, string> = {};
  for (const prefix of prefixes) out[prefix] = digest(prefix);
  return out;
}

/** Digest of an empty leaf. */
export const EMPTY_LEAF_DIGEST = leafDigest([]);
