import { describe, expect, it } from 'vitest';
import { MERKLE_MAX_BITS } from '../contracts/replica-store.js';
import { checkNodes, childrenOf, EMPTY_SUMMARY, hashInNode, isSummary, merkleSummaries, nodeName, parseNode, xorFingerprints } from './merkle.js';
import { keyHash } from './replica-record.js';

describe('Merkle node names', () => {
  it('name the first bits of a key hash, one name per node', () => {
    const hash = 'a4f3000000000000000000000000000000000000'; // 1010 0100 1111 0011 ...
    expect([0, 1, 2, 3, 4, 5, 7, 8, 12, 13].map((bits) => nodeName(hash, bits))).toEqual(['', '8/1', '8/2', 'a/3', 'a', 'a0/5', 'a4/7', 'a4', 'a4f', 'a4f0/13']);
    for (let bits = 0; bits <= MERKLE_MAX_BITS; bits++) {
      const name = nodeName(keyHash(`k${bits}`), bits);
      expect(parseNode(name)).toEqual({ hex: name.split('/')[0], bits });
    }
    for (const bad of ['A', 'a/4', '9/1', 'a/5', 'a1/5', '0'.repeat(17), '00/65', '/1', ' ', 'g']) expect(parseNode(bad)).toBeUndefined();
    expect(() => checkNodes(['', 'x'])).toThrow(/node "x" is not a Merkle node name/);
  });

  it('split a node in two children that hold exactly its keys', () => {
    const hashes = Array.from({ length: 2000 }, (_, i) => keyHash(`key:${i}`));
    for (const name of ['', '8/1', 'a4/7', 'a4', 'fff', 'a4f0/13', nodeName(hashes[0]!, 63)]) {
      const node = parseNode(name)!;
      const [zero, one] = childrenOf(node).map((child) => parseNode(child)!);
      expect(zero!.bits).toBe(node.bits + 1);
      for (const hash of hashes) {
        const inside = hashInNode(hash, node);
        expect(hashInNode(hash, zero!) || hashInNode(hash, one!)).toBe(inside);
        expect(hashInNode(hash, zero!) && hashInNode(hash, one!)).toBe(false);
        if (inside) expect(nodeName(hash, node.bits + 1)).toBe(hashInNode(hash, zero!) ? childrenOf(node)[0] : childrenOf(node)[1]);
      }
    }
  });
});

describe('summaries', () => {
  it('XOR the records’ fingerprints and count them; a node is its children combined', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ key: `r${i}`, etag: keyHash(`etag ${i}`) }));
    const [root, zero, one] = merkleSummaries(records, ['', '0/1', '8/1']);
    expect(root![1]).toBe(50);
    expect([xorFingerprints(zero![0], one![0]), zero![1] + one![1]]).toEqual(root);
    expect(merkleSummaries([], ['', 'abc'])).toEqual([EMPTY_SUMMARY, EMPTY_SUMMARY]);
    expect(isSummary(root)).toBe(true);
    expect(isSummary(['0123456789abcdef', 0])).toBe(false); // an empty node's fingerprint is zero
    expect(isSummary({ '': 'a'.repeat(40) })).toBe(false); // a tree version 1 answer
    expect(xorFingerprints('ffffffff00000000', '0f0f0f0f12345678')).toBe('f0f0f0f012345678');
  });
});
