import { describe, expect, it } from 'vitest';
import { LruCache } from './lru-cache.js';

describe('LruCache (CLOCK)', () => {
  it('keeps recently used entries and evicts one not used since the last sweep', () => {
    const cache = new LruCache<number>(3);
    cache.set('a', 1, 100);
    cache.set('b', 2, 100);
    cache.set('c', 3, 100);
    expect(cache.get('a', 0)).toBe(1);
    cache.set('d', 4, 100); // a has its second chance; b goes
    expect(cache.get('b', 0)).toBeUndefined();
    expect([cache.get('a', 0), cache.get('c', 0), cache.get('d', 0)]).toEqual([1, 3, 4]);
    expect(cache.size).toBe(3);
  });

  it('expires entries and reuses their slots', () => {
    const cache = new LruCache<string>(2);
    cache.set('a', 'x', 10);
    expect(cache.get('a', 10)).toBeUndefined();
    expect(cache.size).toBe(0);
    cache.set('b', 'y', 100);
    cache.set('c', 'z', 100);
    cache.set('d', 'w', 100);
    expect(cache.size).toBe(2);
  });

  it('stays bounded and fast over many distinct keys', () => {
    const cache = new LruCache<number>(100_000);
    for (let i = 0; i < 1_000_000; i++) cache.set(`k${i}`, i, Number.POSITIVE_INFINITY);
    expect(cache.size).toBe(100_000);
    expect(cache.get('k999999', 0)).toBe(999_999);
    expect(cache.get('k0', 0)).toBeUndefined();
    cache.clear();
    expect(cache.size).toBe(0);
    cache.set('again', 1, 10);
    expect(cache.get('again', 0)).toBe(1);
  });
});
