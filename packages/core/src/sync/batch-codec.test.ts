import { describe, expect, it } from 'vitest';
import type { ReplicaRecord } from '../contracts/replica-store.js';
import { MeridianError } from '../errors/meridian-error.js';
import { decodeBatch, encodeBatch } from './batch-codec.js';
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
    const v2 = Buffer.from(frame);
    v2[4] = 2;
    await expect(decodeBatch(v2, opts)).rejects.toThrow(/protocol version 2/);
    await expect(decodeBatch(Buffer.from('HTTP/1.1 200 OK\r\n\r\n<html>'), opts)).rejects.toThrow(/not a Meridian sync frame/);
    await expect(decodeBatch(frame, { ...opts, maxRawBytes: 100 })).rejects.toThrow(/over the 100 limit/);
  });

  it('refuses records of the wrong shape', async () => {
    const bad = records(1).map((r) => ({ ...r, key: 42 })) as unknown as ReplicaRecord[];
    const { frame } = await encodeBatch(bad);
    await expect(decodeBatch(frame, opts)).rejects.toSatisfy(protocolError);
  });
});
