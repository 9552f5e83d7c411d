import { describe, expect, it } from 'vitest';
import { PACKED_ENTRY_BYTES } from './chunk-entry.js';
import { manifestJson, manifestValue, parseManifest, sameContent, sameManifest, SMALL_FILE_ROOM, withHeaderRoom, type Manifest } from './file-manifest.js';

const entries = (n: number): string => Buffer.alloc(n * PACKED_ENTRY_BYTES, 7).toString('base64');
// A small file's binary value, with one field of the header set by hand.
function binary(over: { format?: number; mode?: number; mtimeMs?: number }): Buffer {
  const out = Buffer.from(manifestValue({ type: 'file', mode: 0o644, mtimeMs: 0, size: 3, data: Buffer.from('abc') }) as Uint8Array);
  if (over.format !== undefined) out[0] = over.format;
  if (over.mode !== undefined) out.writeUInt16BE(over.mode, 1);
  if (over.mtimeMs !== undefined) out.writeDoubleBE(over.mtimeMs, 3);
  return out;
}
const file = { type: 'file', mode: 0o644, mtimeMs: 1_700_000_000_000, size: 3, data: Buffer.from('abc').toString('base64') };

describe('parseManifest', () => {
  it('accepts each shape of a manifest: a JSON small file comes back with its bytes decoded, the others as they are', () => {
    expect(parseManifest(file, 'file:a')).toEqual({ ...file, data: Buffer.from('abc') });
    for (const content of [{ chunks: entries(2) }, { pieces: entries(1) }]) {
      const m = { type: 'file', mode: 0o755, mtimeMs: 0, size: 1 << 20, ...content };
      expect(parseManifest(m, 'file:b')).toEqual(m);
    }
    expect(parseManifest({ type: 'link', target: '../x', mtimeMs: -5 }, 'file:l')).toEqual({ type: 'link', target: '../x', mtimeMs: -5 });
    expect(parseManifest({ ...file, data: '', size: 0 }, 'file:empty')).toMatchObject({ size: 0 });
  });

  it.each([
    ['not an object', 'nope', '(root): must be an object'],
    ['an array', [file], '(root): must be an object'],
    ['null', null, '(root): must be an object'],
    ['an unknown type', { ...file, type: 'dir' }, 'type: must be "file" or "link"'],
    ['an unknown field', { ...file, owner: 'root' }, 'owner: unknown field of a file manifest'],
    ['a file field on a link', { type: 'link', target: 'x', mtimeMs: 0, size: 1 }, 'size: unknown field of a link manifest'],
    ['a fractional mtime', { ...file, mtimeMs: 1.5 }, 'mtimeMs: must be an integer'],
    ['an empty link target', { type: 'link', target: '', mtimeMs: 0 }, 'target: must be a string of 1 to 4096 characters'],
    ['a link target too long', { type: 'link', target: 'x'.repeat(4097), mtimeMs: 0 }, 'target: must be a string of 1 to 4096 characters'],
    ['a mode past 0o7777', { ...file, mode: 0o10000 }, 'mode: must be an integer from 0 to 0o7777'],
    ['a negative size', { ...file, size: -1 }, 'size: must be a whole number of bytes'],
    ['no content', { type: 'file', mode: 0, mtimeMs: 0, size: 0 }, '(root): needs exactly one of data, chunks, pieces'],
    ['two contents', { ...file, chunks: entries(1) }, '(root): needs exactly one of data, chunks, pieces'],
    ['data that is not base64', { ...file, data: 'ab!=' }, 'data: must be base64 (canonical, padded)'],
    ['unpadded base64', { ...file, data: 'YWJjZA' }, 'data: must be base64 (canonical, padded)'],
    ['data that is a number', { ...file, data: 5 }, 'data: must be base64 (canonical, padded)'],
    ['data of another size than size', { ...file, size: 4 }, 'data: holds 3 bytes, not size 4'],
    ['a binary value shorter than its header', new Uint8Array(10), '(binary): 10 bytes, shorter than the 11-byte header'],
    ['a binary value of an unknown format', binary({ format: 2 }), '(binary): format 2 is not 1'],
    ['a binary value with a mode past 0o7777', binary({ mode: 0o10000 }), 'mode: must be an integer from 0 to 0o7777'],
    ['a binary value with a fractional mtime', binary({ mtimeMs: 1.5 }), 'mtimeMs: must be an integer'],
    ['a binary value with an mtime that is not a number', binary({ mtimeMs: Number.NaN }), 'mtimeMs: must be an integer'],
    ['a partial chunk entry', { type: 'file', mode: 0, mtimeMs: 0, size: 9, chunks: Buffer.alloc(PACKED_ENTRY_BYTES + 1).toString('base64') }, `chunks: must be whole ${PACKED_ENTRY_BYTES}-byte chunk entries`],
    ['a partial piece entry', { type: 'file', mode: 0, mtimeMs: 0, size: 9, pieces: Buffer.alloc(PACKED_ENTRY_BYTES - 1).toString('base64') }, `pieces: must be whole ${PACKED_ENTRY_BYTES}-byte chunk entries`],
  ])('refuses %s, naming the key and the rule', (_what, value, problem) => {
    let error: unknown;
    try {
      parseManifest(value, 'file:docs/x');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', message: `record "file:docs/x" is not a file manifest: ${problem}`, details: { field: 'file:docs/x' } });
  });

  it('reads a small file in its binary form: raw bytes after an 11-byte header, the same manifest as the JSON form', () => {
    const small: Manifest = { type: 'file', mode: 0o755, mtimeMs: 1_700_000_000_123, size: 5, data: Buffer.from('hello') };
    const value = manifestValue(small) as Uint8Array;
    expect(value).toBeInstanceOf(Uint8Array);
    expect(value.length).toBe(11 + 5);
    expect(Buffer.from(value.subarray(11)).toString()).toBe('hello'); // raw, no base64
    expect(parseManifest(value, 'file:h')).toEqual(small);
    const json = manifestJson(small);
    expect(json).toEqual({ type: 'file', mode: 0o755, mtimeMs: 1_700_000_000_123, size: 5, data: Buffer.from('hello').toString('base64') });
    expect(sameManifest(parseManifest(json, 'file:h'), parseManifest(value, 'file:h'))).toBe(true);
    expect(sameContent(parseManifest(value, 'file:h'), { ...small, data: Buffer.from('hellp') })).toBe(false);
    // Empty files too; manifests that list chunks stay JSON.
    expect(parseManifest(manifestValue({ ...small, size: 0, data: Buffer.alloc(0) }), 'file:e')).toMatchObject({ size: 0, data: Buffer.alloc(0) });
    const chunked: Manifest = { type: 'file', mode: 0o644, mtimeMs: 0, size: 9, chunks: entries(1) };
    expect(manifestValue(chunked)).toBe(chunked);
  });

  it('writes the header in front of bytes read with room for it (no copy), once; other bytes are copied', () => {
    const read = withHeaderRoom(Buffer.from(new Uint8Array(SMALL_FILE_ROOM + 5).fill(7).buffer, SMALL_FILE_ROOM, 5).fill(0x61));
    const small: Manifest = { type: 'file', mode: 0o640, mtimeMs: 1_700_000_000_456, size: 5, data: read };
    const value = manifestValue(small) as Uint8Array;
    expect(value.buffer).toBe(read.buffer); // the same bytes, header in the room
    expect(parseManifest(value, 'file:r')).toEqual(small);
    expect(Buffer.from(value)).toEqual(Buffer.from(manifestValue({ ...small, data: Buffer.from('aaaaa') }) as Uint8Array));
    // A second value of the same bytes (another mode) is a copy: the first value's header is left as it was.
    const other = manifestValue({ ...small, mode: 0o600 }) as Uint8Array;
    expect(other.buffer).not.toBe(read.buffer);
    expect(parseManifest(value, 'file:r')).toMatchObject({ mode: 0o640 });
    expect(parseManifest(other, 'file:r')).toMatchObject({ mode: 0o600 });
    // Bytes without the room (a view into a larger buffer) are never written around.
    const pooled = Buffer.from('xxxxxxxxxxxxxxxxhello').subarray(SMALL_FILE_ROOM, SMALL_FILE_ROOM + 5);
    const before = Buffer.from(pooled.buffer, pooled.byteOffset - SMALL_FILE_ROOM, SMALL_FILE_ROOM + 5).toString();
    withHeaderRoom(pooled);
    manifestValue({ ...small, data: pooled });
    expect(Buffer.from(pooled.buffer, pooled.byteOffset - SMALL_FILE_ROOM, SMALL_FILE_ROOM + 5).toString()).toBe(before);
  });
});
