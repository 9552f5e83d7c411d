import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manual-clock.js';
import type { ReplicaRecord, StoredRecord } from '../contracts/replica-store.js';
import { MeridianError } from '../errors/meridian-error.js';
import { decodeBatch, encodeBatch, encodePayload } from './batch-codec.js';
import { encodeHlc, HybridLogicalClock } from './hlc.js';
import { buildFrame, type SenderContext } from './outgoing-frame.js';
import { toRecord } from './replica-record.js';

const T0 = 1_790_000_000_000;

function stored(n: number, value: (i: number) => unknown = (i) => ({ name: `user ${i}`, tags: ['a', 'b'] }), at = T0): StoredRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const version = encodeHlc({ wall: at + i, logical: 0, node: 'us-east' });
    // The vector in reverse order and store fields present: the frame must carry neither.
    return { key: `user:${i}`, value: value(i), deleted: false, version, origin: 'us-east', vv: { 'us-east': version, 'ap-south': encodeHlc({ wall: 5, logical: 0, node: 'ap-south' }) }, seq: 100 + i, etag: 'e'.repeat(40) };
  });
}

function context(overrides: Partial<SenderContext> = {}): SenderContext & { skewed: string[]; refused: Array<[string, MeridianError]> } {
  const skewed: string[] = [];
  const refused: Array<[string, MeridianError]> = [];
  return {
    from: 'us-east',
    to: 'eu-west',
    targetHlc: new HybridLogicalClock({ node: 'eu-west', clock: new ManualClock(T0 + 60_000), maxClockSkewMillis: 5_000 }),
    maxValueBytes: 262_144,
    maxBatchBytes: 1_048_576,
    onSkew: (key) => skewed.push(key),
    onRejectedRecord: (key, error) => refused.push([key, error]),
    skewed,
    refused,
    ...overrides,
  };
}

const decode = (frame: Buffer): Promise<ReplicaRecord[]> => decodeBatch(frame, { maxRawBytes: 1e8, source: 'us-east' });
/** The frame of a payload, uncompressed. */
const frameOf = async (payload: Buffer | undefined): Promise<Buffer> => (await encodePayload(payload!, { compression: 'none' })).frame;
const decodePayload = async (payload: Buffer | undefined): Promise<ReplicaRecord[]> => decode(await frameOf(payload));

/** Builds frames from all of `records`, one after another, as a delivery does; returns their payloads. */
function buildAll(records: StoredRecord[], ctx: SenderContext, measure = false): Buffer[] {
  const frames: Buffer[] = [];
  for (let rest = records; rest.length > 0; ) {
    const out = buildFrame(rest, ctx, measure);
    if (out.payload) frames.push(out.payload);
    expect(out.done).toBeGreaterThan(0);
    rest = rest.slice(out.done);
  }
  return frames;
}

describe('buildFrame', () => {
  it('makes the frame encodeBatch makes, byte for byte, whether it serializes the batch whole or record by record', async () => {
    const records = stored(300);
    const expected = (await encodeBatch(records.map(toRecord), { compression: 'none' })).frame;
    const whole = buildFrame(records, context());
    const measured = buildFrame(records, context(), true);
    expect(whole).toMatchObject({ done: 300, lastSeq: 399, heldKey: undefined, measured: false });
    expect(measured).toMatchObject({ done: 300, lastSeq: 399, heldKey: undefined, measured: true });
    expect((await frameOf(whole.payload)).equals(expected)).toBe(true);
    expect((await frameOf(measured.payload)).equals(expected)).toBe(true);
    // Compressed, the payload decodes to the same records (any brotli quality decodes alike).
    const brotli = await encodePayload(whole.payload!);
    expect(brotli.encoding).toBe('brotli');
    expect(brotli.frame.length).toBeLessThan(expected.length / 4);
    expect(await decode(brotli.frame)).toEqual(records.map(toRecord));
  });

  it('ends frames at maxBatchBytes of JSON and carries every record once, in order', async () => {
    const records = stored(200, (i) => 'x'.repeat(100 + (i % 7) * 50));
    for (const measure of [false, true]) {
      const payloads = buildAll(records, context({ maxBatchBytes: 8_000 }), measure);
      expect(payloads.length).toBeGreaterThan(5);
      for (const payload of payloads) expect(payload.length).toBeLessThanOrEqual(8_000);
      const carried = (await Promise.all(payloads.map(decodePayload))).flat();
      expect(carried).toEqual(records.map(toRecord));
    }
    // One record larger than the limit still goes, alone.
    const [big] = stored(1, () => 'y'.repeat(20_000));
    expect(buildFrame([big!, ...records], context({ maxBatchBytes: 8_000 })).done).toBe(1);
  });

  it('refuses values over maxValueBytes, naming them, and sends the rest; the cursor moves past them', async () => {
    const records = stored(6, (i) => (i === 2 || i === 5 ? 'z'.repeat(3_000) : i));
    const ctx = context({ maxValueBytes: 2_000 });
    const out = buildFrame(records, ctx);
    expect(out).toMatchObject({ done: 6, lastSeq: 105, heldKey: undefined });
    expect((await decodePayload(out.payload)).map((r) => r.key)).toEqual(['user:0', 'user:1', 'user:3', 'user:4']);
    expect(ctx.refused.map(([key, error]) => [key, error.code])).toEqual([
      ['user:2', 'VALUE_TOO_LARGE'],
      ['user:5', 'VALUE_TOO_LARGE'],
    ]);
    expect(ctx.refused[0]![1].message).toMatch(/"user:2" from us-east holds 3002 bytes, over maxValueBytes=2000; not replicated to eu-west/);
    // Nothing left to send: no frame, yet the records are done.
    expect(buildFrame([records[2]!], context({ maxValueBytes: 2_000 }))).toMatchObject({ payload: undefined, done: 1, lastSeq: 102 });
  });

  it('carries binary values after the JSON: the frame encodeBatch makes, ends at maxBatchBytes counting their bytes, refuses one over maxValueBytes', async () => {
    const bytes = (i: number): Buffer => Buffer.alloc(1_000 + i, i);
    const records = stored(40, bytes);
    const expected = (await encodeBatch(records.map(toRecord), { compression: 'none' })).frame;
    for (const measure of [false, true]) {
      const out = buildFrame(records, context(), measure);
      expect(out.done).toBe(40);
      expect((await encodePayload(out.payload!, { compression: 'none' }, out.binary)).frame.equals(expected)).toBe(true);
    }
    // 40 values of about 1 KB in frames of at most 8 000 bytes, JSON and bytes together; every value arrives whole.
    const ctx = context({ maxBatchBytes: 8_000 });
    const carried: ReplicaRecord[] = [];
    for (let rest = records; rest.length > 0; ) {
      const out = buildFrame(rest, ctx);
      const frame = await encodePayload(out.payload!, { compression: 'none' }, out.binary);
      expect(frame.rawBytes).toBeLessThanOrEqual(8_000 + 4);
      carried.push(...(await decode(frame.frame)));
      rest = rest.slice(out.done);
    }
    expect(carried.map((r) => Buffer.from(r.value as Uint8Array).equals(bytes(Number(r.key.slice(5)))))).toEqual(records.map(() => true));
    const tooLarge = context({ maxValueBytes: 1_010 });
    const out = buildFrame(records.slice(8, 14), tooLarge);
    expect(tooLarge.refused.map(([key]) => key)).toEqual(['user:11', 'user:12', 'user:13']);
    expect((await decode((await encodePayload(out.payload!, { compression: 'none' }, out.binary)).frame)).map((r) => r.key)).toEqual(['user:8', 'user:9', 'user:10']);
  });

  it('stops in front of a record stamped too far ahead, and reports it once the frame reaches it', async () => {
    const records = [...stored(5, (i) => 'v'.repeat(300 + i)), ...stored(1, () => 'late', T0 + 600_000).map((r) => ({ ...r, key: 'ahead', seq: 200 }))];
    const ctx = context({ maxBatchBytes: 1_200 }); // two records a frame: the first frames end before the held one
    let rest = records;
    const frames: Array<ReturnType<typeof buildFrame>> = [];
    for (let i = 0; i < 10 && frames.at(-1)?.heldKey === undefined; i++) {
      const out = buildFrame(rest, ctx);
      if (out.heldKey === undefined) expect(ctx.skewed).toEqual([]); // each of these looked at it, and held nothing yet
      frames.push(out);
      rest = rest.slice(out.done);
    }
    expect(frames.length).toBeGreaterThan(2);
    expect(frames.at(-1)!.heldKey).toBe('ahead');
    expect(frames.reduce((n, f) => n + f.done, 0)).toBe(5);
    expect(ctx.skewed).toEqual(['ahead']); // once
    // Alone at the head: no frame, nothing done.
    expect(buildFrame(records.slice(5), ctx)).toMatchObject({ payload: undefined, done: 0, heldKey: 'ahead' });
  });
});
