import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ContentChunker } from './content-chunker.js';
import { IgnoreRules } from './ignore-rules.js';

const sizes = { minBytes: 4096, avgBytes: 16_384, maxBytes: 65_536 };

function chunks(data: Buffer): Buffer[] {
  const chunker = new ContentChunker(sizes);
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const n = chunker.cut(data, at, data.length, true);
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe('ContentChunker', () => {
  it('cuts within the bounds, around the average, and covers every byte', () => {
    const data = randomBytes(8_000_000);
    const list = chunks(data);
    expect(Buffer.concat(list).equals(data)).toBe(true);
    expect(list.slice(0, -1).every((c) => c.length >= sizes.minBytes && c.length <= sizes.maxBytes)).toBe(true);
    const mean = data.length / list.length;
    expect(mean).toBeGreaterThan(sizes.avgBytes * 0.6);
    expect(mean).toBeLessThan(sizes.avgBytes * 1.6);
  });

  it('an insertion changes the chunks next to it and no others (fixed blocks would shift every one after it)', () => {
    const data = randomBytes(4_000_000);
    const edited = Buffer.concat([data.subarray(0, 2_000_000), Buffer.from('inserted bytes'), data.subarray(2_000_000)]);
    const before = new Set(chunks(data).map((c) => c.toString('base64')));
    const after = chunks(edited);
    const fresh = after.filter((c) => !before.has(c.toString('base64')));
    expect(fresh.length).toBeLessThanOrEqual(2);
    expect(after.length).toBeGreaterThan(100);
  });

  it('cuts the same way whether the data comes whole or in windows', () => {
    const data = randomBytes(1_000_000);
    const chunker = new ContentChunker(sizes);
    const windowed: number[] = [];
    let at = 0;
    for (let end = 100_000; at < data.length; end = Math.min(data.length, end + 100_000)) {
      for (;;) {
        const n = chunker.cut(data, at, end, end === data.length);
        if (n === 0) break;
        windowed.push(n);
        at += n;
        if (at === end) break;
      }
    }
    expect(windowed).toEqual(chunks(data).map((c) => c.length));
  });
});

describe('IgnoreRules', () => {
  const rules = new IgnoreRules(['*.log', '!keep.log', 'build/', '/top.txt', 'docs/**/*.tmp', '# a comment', 'a?c', '[xy].bin']);
  it.each([
    ['app.log', false, true],
    ['deep/app.log', false, true],
    ['keep.log', false, false],
    ['build', true, true],
    ['build', false, false],
    ['src/build', true, true],
    ['top.txt', false, true],
    ['sub/top.txt', false, false],
    ['docs/a/b/c.tmp', false, true],
    ['docs/c.tmp', false, true],
    ['other/c.tmp', false, false],
    ['abc', false, true],
    ['abbc', false, false],
    ['x.bin', false, true],
    ['z.bin', false, false],
  ])('%s (directory: %s) ignored: %s', (path, isDirectory, ignored) => {
    expect(rules.ignores(path, isDirectory)).toBe(ignored);
  });
});
