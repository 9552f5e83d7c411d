import { describe, expect, it } from 'vitest';
import type { ReplicaRecord } from '../contracts/replica-store.js';
import { MeridianError } from '../errors/meridian-error.js';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { SYNC_PROTOCOL_VERSION, decodeBatch, encodeBatch, encodePayload, entropyBits } from './batch-codec.js';
import { encodeHlc } from './hlc.js';

const records = (n: number): ReplicaRecord[] =>
  Array.from({ length: n }, (_, i) => {
    const version = encodeHlc({ wall: 1_000 + i, logical: 0, node: 'us-east' });
    return { key: `user:${i}`, value: { name: `user ${i}`, plan: 'pro', tags: ['a', 'b'] }, deleted: false, version, origin: 'us-east', vv: { 'us-east': version } };
  });
const opts = { maxRawBytes: 10_000_000, source: 'us-east' };
const protocolError = (e: unknown) => MeridianError.hasCode(e, 'SYNC_PROTOCOL_ERROR');

describe('batch codec', () => {
  it('chooses compression by size and round-trips every encoding', async () => {
    expect((await encodeBatch(records(1))).encoding).toBe('none');
    expect((await encodeBatch(records(50))).encoding).toBe('gzip');
    expect((await encodeBatch(records(2000))).encoding).toBe('brotli');
    for (const compression of ['none', 'gzip', 'brotli'] as const) {
      const encoded = await encodeBatch(records(300), { compression });
      expect(encoded.encoding).toBe(compression);
      expect(await decodeBatch(encoded.frame, opts)).toEqual(records(300));
    }
    const gz = await encodeBatch(records(300), { compression: 'gzip' });
    expect(gz.frame.length).toBeLessThan(gz.rawBytes / 4);
  });

  it('refuses a frame that was corrupted, truncated, of another protocol version or not a frame at all', async () => {
    const { frame } = await encodeBatch(records(100));
    const flipped = Buffer.from(frame);
    flipped[flipped.length - 5]! ^= 0xff;
    await expect(decodeBatch(flipped, opts)).rejects.toSatisfy(protocolError);
    await expect(decodeBatch(frame.subarray(0, frame.length - 10), opts)).rejects.toThrow(/checksum/);
    const v3 = Buffer.from(frame);
    v3[4] = 3;
    await expect(decodeBatch(v3, opts)).rejects.toThrow(/protocol version 3, this side speaks 1 to 2/);
    await expect(decodeBatch(Buffer.from('HTTP/1.1 200 OK\r\n\r\n<html>'), opts)).rejects.toThrow(/not a Meridian sync frame/);
    await expect(decodeBatch(frame, { ...opts, maxRawBytes: 100 })).rejects.toThrow(/over the 100 limit/);
  });

  it('refuses records of the wrong shape', async () => {
    const bad = records(1).map((r) => ({ ...r, key: 42 })) as unknown as ReplicaRecord[];
    const { frame } = await encodeBatch(bad);
    await expect(decodeBatch(frame, opts)).rejects.toSatisfy(protocolError);
  });

  describe('binary values', () => {
    const withBytes = (n: number, bytes: (i: number) => Buffer): ReplicaRecord[] => records(n).map((r, i) => ({ ...r, value: bytes(i) }));

    it('carries a Uint8Array value as raw bytes after the JSON (version 2) and gives it back, whatever the compression', async () => {
      const mixed = [...withBytes(3, (i) => randomBytes(1000 + i)), ...records(2)];
      for (const compression of ['none', 'gzip', 'brotli', 'auto'] as const) {
        const encoded = await encodeBatch(mixed, { compression });
        expect(encoded.frame.readUInt8(4)).toBe(SYNC_PROTOCOL_VERSION);
        const decoded = await decodeBatch(encoded.frame, opts);
        expect(decoded.map((r) => (Buffer.isBuffer(r.value) ? r.value.toString('hex') : r.value))).toEqual(mixed.map((r) => (Buffer.isBuffer(r.value) ? r.value.toString('hex') : r.value)));
        expect(decoded.every((r) => !('bin' in r))).toBe(true);
      }
      // Not base64 inside JSON: the frame is about the size of the bytes.
      const raw = await encodeBatch(withBytes(10, () => randomBytes(10_000)), { compression: 'none' });
      expect(raw.frame.length).toBeLessThan(100_000 + 10 * 250);
    });

    it('writes a frame without binary values as version 1, byte for byte as before', async () => {
      const encoded = await encodeBatch(records(10), { compression: 'none' });
      expect(encoded.frame.readUInt8(4)).toBe(1);
      expect(encoded.frame.subarray(14).toString('utf8')).toBe(JSON.stringify({ records: records(10) }));
    });

    it('lays an uncompressed version 2 frame out as header, JSON length, JSON, then the bytes, its CRC over all of them', async () => {
      const json = Buffer.from('{"records":[]}');
      const parts = [randomBytes(5000), randomBytes(3), Buffer.alloc(0), randomBytes(70_000)];
      const { frame, rawBytes } = await encodePayload(json, { compression: 'none' }, parts);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(json.length, 0);
      const payload = Buffer.concat([length, json, ...parts]);
      expect(rawBytes).toBe(payload.length);
      expect(frame.subarray(0, 4).toString()).toBe('MRSB');
      expect([frame.readUInt8(4), frame.readUInt8(5), frame.readUInt32BE(6), frame.readUInt32BE(10)]).toEqual([SYNC_PROTOCOL_VERSION, 0, payload.length, crc32(payload)]);
      expect(frame.subarray(14).equals(payload)).toBe(true);
    });

    it('auto leaves incompressible bytes uncompressed and still compresses compressible ones', async () => {
      expect((await encodeBatch(withBytes(20, () => randomBytes(16_384)))).encoding).toBe('none');
      expect((await encodeBatch(withBytes(20, () => Buffer.alloc(16_384, 'log line\n')))).encoding).toBe('brotli');
    });

    it('auto tells bytes that look random but repeat (a random block over and over) from random ones, and compresses them', async () => {
      const block = randomBytes(4096);
      const repeated = Buffer.concat([randomBytes(1000), block, block, block, block]);
      const frame = await encodeBatch(withBytes(4, () => repeated));
      expect(frame.encoding).toBe('brotli');
      expect(frame.frame.length).toBeLessThan(frame.rawBytes * 0.5);
      // High entropy both, but only the second repeats: the entropy alone does not decide.
      expect(entropyBits(repeated.subarray(0, 16_384))).toBeGreaterThan(7.2);
      expect(entropyBits(randomBytes(16_384))).toBeGreaterThan(7.9);
      expect(entropyBits(Buffer.alloc(16_384, 'log line\n'))).toBeLessThan(3.5);
    });

    it('refuses a bin reference outside the bytes, a record with both a value and a bin, and a JSON length past the end', async () => {
      const frameOf = async (json: string, binary: Buffer): Promise<Buffer> => (await encodePayload(Buffer.from(json), { compression: 'none' }, [binary])).frame;
      const r = { key: 'k', deleted: false, version: records(1)[0]!.version, origin: 'us-east', vv: { 'us-east': records(1)[0]!.version } };
      await expect(decodeBatch(await frameOf(JSON.stringify({ records: [{ ...r, bin: [0, 11] }] }), Buffer.alloc(10)), opts)).rejects.toThrow(/bin must be \[offset, length\] within the 10 bytes/);
      await expect(decodeBatch(await frameOf(JSON.stringify({ records: [{ ...r, bin: [-1, 1] }] }), Buffer.alloc(10)), opts)).rejects.toSatisfy(protocolError);
      await expect(decodeBatch(await frameOf(JSON.stringify({ records: [{ ...r, value: 1, bin: [0, 1] }] }), Buffer.alloc(10)), opts)).rejects.toThrow(/both a value and a binary value/);
      const good = await frameOf(JSON.stringify({ records: [{ ...r, bin: [2, 3] }] }), Buffer.from('0123456789'));
      expect((await decodeBatch(good, opts))[0]!.value).toEqual(Buffer.from('234'));
      // A JSON length that runs past the payload (CRC fixed up, so only the length is wrong).
      const bad = Buffer.from(good);
      bad.writeUInt32BE(10_000, 14);
      bad.writeUInt32BE(crc32(bad.subarray(14)), 10);
      await expect(decodeBatch(bad, opts)).rejects.toThrow(/JSON length past the end/);
    });
  });
});
