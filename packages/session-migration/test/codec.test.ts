import { randomBytes } from 'node:crypto';
import { MeridianError } from '@meridian/core';
import { SnapshotCodec } from '@meridian/session-migration';
import { meridianErrorOf } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';

const k1 = { id: '2026-10', key: randomBytes(32) };
const k2 = { id: '2026-11', key: randomBytes(32) };

const session = {
  id: 'sess-42',
  cookies: [{ name: 'sid', value: 'abc', domain: 'example.com' }],
  localStorage: { theme: 'dark', cart: '[1,2,3]' },
  tabs: ['https://example.com/checkout'],
};

describe('SnapshotCodec', () => {
  it('round-trips, choosing compression by size', () => {
    const codec = new SnapshotCodec({ keys: [k1] });
    const small = codec.encode(session);
    expect(codec.header(small)).toMatchObject({ version: 1, compression: 'none', keyId: '2026-10' });
    expect(codec.decode(small)).toEqual(session);
    const medium = { ...session, blob: 'x'.repeat(10_000) };
    const encoded = codec.encode(medium);
    expect(codec.header(encoded).compression).toBe('deflate');
    expect(encoded.length).toBeLessThan(2_000);
    expect(codec.decode(encoded)).toEqual(medium);
    const large = { blob: Array.from({ length: 40_000 }, (_, i) => `item-${i}`).join(',') };
    const big = codec.encode(large);
    expect(codec.header(big).compression).toBe('brotli');
    expect(codec.decode(big)).toEqual(large);
  });

  it('encodes JSON text as encode encodes the value, and decodes back to the text, verified, without parsing it', () => {
    const codec = new SnapshotCodec({ keys: [k1] });
    const medium = { ...session, blob: 'x'.repeat(10_000) };
    const json = JSON.stringify(medium);
    const fromText = codec.encodeJson(json);
    expect(codec.header(fromText)).toEqual(codec.header(codec.encode(medium)));
    expect(codec.decode(fromText)).toEqual(medium);
    expect(codec.decodeJson(fromText)).toBe(json);
    expect(codec.decodeJson(codec.encode(medium))).toBe(json);
    // Verified as decode verifies: a changed byte is refused.
    const tampered = Buffer.from(fromText);
    tampered[tampered.length - 40]! ^= 1;
    expect(meridianErrorOf(() => codec.decodeJson(tampered)).code).toBe('SNAPSHOT_CORRUPT');
    // Text that is not JSON is carried, and refused by decode.
    const broken = codec.encodeJson('{"unterminated":');
    expect(codec.decodeJson(broken)).toBe('{"unterminated":');
    expect(meridianErrorOf(() => codec.decode(broken))).toMatchObject({ code: 'SNAPSHOT_CORRUPT', message: expect.stringMatching(/not JSON/) });
    expect(meridianErrorOf(() => codec.encodeJson(42 as never)).code).toBe('INVALID_ARGUMENT');
  });

  it('encrypts: the plaintext is nowhere in the bytes, and two encodings differ (fresh IV)', () => {
    const codec = new SnapshotCodec({ keys: [k1] });
    const a = codec.encode(session);
    expect(a.includes(Buffer.from('checkout'))).toBe(false);
    expect(a.includes(Buffer.from('dark'))).toBe(false);
    expect(a.equals(codec.encode(session))).toBe(false);
  });

  it('detects every single-byte change', () => {
    const codec = new SnapshotCodec({ keys: [k1] });
    for (const value of [session, { ...session, blob: 'y'.repeat(5_000) }]) {
      const good = codec.encode(value);
      for (let i = 0; i < good.length; i++) {
        const bad = Buffer.from(good);
        bad[i] = bad[i]! ^ 0x01;
        const error = meridianErrorOf(() => codec.decode(bad));
        expect(error.code, `byte ${i}`).toBe('SNAPSHOT_CORRUPT');
      }
    }
  });

  it('refuses truncated snapshots, at every length', () => {
    const codec = new SnapshotCodec({ keys: [k1] });
    const good = codec.encode(session);
    for (let length = 0; length < good.length; length++) {
      expect(meridianErrorOf(() => codec.decode(good.subarray(0, length))).code).toBe('SNAPSHOT_CORRUPT');
    }
  });

  it('rotates keys: old snapshots stay readable while their key is listed', () => {
    const before = new SnapshotCodec({ keys: [k1] });
    const old = before.encode(session);
    const rotated = new SnapshotCodec({ keys: [k1, k2], activeKeyId: '2026-11' });
    const fresh = rotated.encode(session);
    expect(rotated.header(fresh).keyId).toBe('2026-11');
    expect(rotated.decode(old)).toEqual(session);
    expect(rotated.decode(fresh)).toEqual(session);
    const retired = new SnapshotCodec({ keys: [k2] });
    const error = meridianErrorOf(() => retired.decode(old));
    expect(error.code).toBe('SNAPSHOT_CORRUPT');
    expect(error.message).toContain('key "2026-10", which is not among the configured keys');
  });

  it('refuses a snapshot under the right id but the wrong key, without leaking key material', () => {
    const a = new SnapshotCodec({ keys: [k1] });
    const b = new SnapshotCodec({ keys: [{ id: k1.id, key: randomBytes(32) }] });
    const error = meridianErrorOf(() => b.decode(a.encode(session)));
    expect(error.message).toMatch(/authentication failed/);
    expect(error.message).not.toContain(k1.key.toString('hex'));
    expect(JSON.stringify(error.details)).not.toContain(k1.key.toString('base64'));
  });

  it('deflates at compressionLevel; any level decodes with any codec holding the key', () => {
    const state = { items: Array.from({ length: 2_000 }, (_, i) => ({ sku: `sku-${i % 97}`, name: `item ${i % 13}`, price: (i * 37) % 1000 })) };
    const fast = new SnapshotCodec({ keys: [k1], compressionLevel: 1 });
    const small = new SnapshotCodec({ keys: [k1], compressionLevel: 9 });
    const byFast = fast.encode(state);
    const bySmall = small.encode(state);
    expect(fast.header(byFast).compression).toBe('deflate');
    expect(bySmall.length).toBeLessThan(byFast.length);
    // Level is the writer's choice only: nothing about it is needed to read a snapshot back.
    expect(small.decode(byFast)).toEqual(state);
    expect(fast.decode(bySmall)).toEqual(state);
    expect(new SnapshotCodec({ keys: [k1] }).decode(bySmall)).toEqual(state);
    for (const bad of [0, 10, 2.5]) expect(meridianErrorOf(() => new SnapshotCodec({ keys: [k1], compressionLevel: bad })).message).toContain('compressionLevel');
  });

  it('refuses oversized state on encode and oversized claims on decode', () => {
    const codec = new SnapshotCodec({ keys: [k1], maxBytes: 1_000 });
    expect(meridianErrorOf(() => codec.encode({ blob: 'z'.repeat(2_000) })).code).toBe('SNAPSHOT_TOO_LARGE');
    const roomy = new SnapshotCodec({ keys: [k1], maxBytes: 100_000 });
    const big = roomy.encode({ blob: 'z'.repeat(50_000) });
    expect(meridianErrorOf(() => codec.decode(big)).code).toBe('SNAPSHOT_TOO_LARGE');
    expect(meridianErrorOf(() => codec.decode(Buffer.alloc(5_000))).code).toBe('SNAPSHOT_TOO_LARGE');
  });

  it('refuses bad options, naming the path and never printing a key', () => {
    const short = meridianErrorOf(() => new SnapshotCodec({ keys: [{ id: 'k', key: randomBytes(16) }] }));
    expect(short.code).toBe('INVALID_CONFIG');
    expect(short.message).toContain('keys[0].key');
    expect(short.message).toContain('[redacted]');
    expect(meridianErrorOf(() => new SnapshotCodec({ keys: [] })).message).toContain('keys: at least one key');
    expect(meridianErrorOf(() => new SnapshotCodec({ keys: [k1, k1] })).message).toContain('keys[1].id: duplicate key id');
    expect(meridianErrorOf(() => new SnapshotCodec({ keys: [k1], activeKeyId: 'nope' })).message).toContain('activeKeyId');
    expect(meridianErrorOf(() => new SnapshotCodec({ keys: [k1] }).encode(undefined)).code).toBe('INVALID_ARGUMENT');
    expect(MeridianError.isInstance(meridianErrorOf(() => new SnapshotCodec({ keys: [k1] }).decode('x' as never)))).toBe(true);
  });
});
