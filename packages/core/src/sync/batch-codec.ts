import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants, crc32, deflateRaw, gunzip, gzip } from 'node:zlib';
import type { ReplicaRecord } from '../contracts/replica-store.js';
import { MeridianError } from '../errors/meridian-error.js';
import { checkRecord } from './replica-record.js';

const gzipAsync = promisify(gzip);
const deflateRawAsync = promisify(deflateRaw);
const gunzipAsync = promisify(gunzip);
const brotliAsync = promisify(brotliCompress);
const unbrotliAsync = promisify(brotliDecompress);

/**
 * Newest wire protocol version of a sync batch frame. Version 2 carries binary
 * values (a record whose value is a `Uint8Array`) as raw bytes after the JSON
 * instead of inside it; a frame without one is written as version 1, byte for
 * byte as before, so a receiver that speaks only 1 reads every frame it did.
 */
export const SYNC_PROTOCOL_VERSION = 2;
const JSON_ONLY_VERSION = 1;
// `auto` samples this much of a frame's binary values before compressing: bytes that are already compressed or
// encrypted (most large files) are sent as they are, without a brotli pass that would save nothing. 16 KiB: enough
// for a byte histogram to tell random bytes from compressible ones (see `incompressible`).
const SAMPLE_BYTES = 16_384;
const MAGIC = Buffer.from('MRSB');
const HEADER_BYTES = 14; // magic 4, version 1, encoding 1, raw length 4, crc32 4
// Measured on sync frames (500 records, about 110 KB of JSON): quality 4 compresses them as small as 5 (within 1 %)
// with about a third less CPU; 3 is cheaper still but 4 % larger. Any quality decodes the same way.
const BROTLI_QUALITY = 4;
/** How a batch payload is compressed. */
export type BatchEncoding = 'none' | 'gzip' | 'brotli';
const ENCODINGS: readonly BatchEncoding[] = ['none', 'gzip', 'brotli'];

/** Compression choice: `auto` picks by size, or force one. */
export type CompressionSetting = 'auto' | BatchEncoding;

/** Options of {@link encodeBatch}. */
export interface EncodeOptions {
  /** Default `auto`. */
  compression?: CompressionSetting;
  /** `auto` leaves batches smaller than this uncompressed. Default 1024. */
  thresholdBytes?: number;
  /** `auto` uses brotli (better ratio, more CPU) from this size, gzip below. Default 65536. */
  brotliFromBytes?: number;
}

/**
 * Where a binary value travels in a version 2 frame: its `value` is left out
 * of the JSON and the record carries `bin: [offset, length]` into the bytes
 * that follow the JSON.
 */
export interface BinaryValueRef {
  bin: [offset: number, length: number];
}

/** An encoded batch. */
export interface EncodedBatch {
  /** The frame as sent: header + payload. */
  frame: Buffer;
  /** Payload size before compression: the JSON, and the binary values with their length prefix when there are any. */
  rawBytes: number;
  /** Compression used. */
  encoding: BatchEncoding;
}

/**
 * Encodes records as one frame: `MRSB`, protocol version, encoding, raw
 * length, CRC-32 of the payload, payload. `auto` compression is chosen by size:
 * tiny batches are not worth the CPU, large ones are worth brotli's ratio. A
 * compressed payload that came out larger than the raw one is sent raw.
 */
export async function encodeBatch(records: readonly ReplicaRecord[], options: EncodeOptions = {}): Promise<EncodedBatch> {
  const binary: Uint8Array[] = [];
  let offset = 0;
  const json = records.map((r) => {
    if (!(r.value instanceof Uint8Array)) return JSON.stringify(r);
    const value = r.value;
    binary.push(value);
    // `bin` where `value` stood: the same bytes a sync's frame builder writes.
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      if (k === 'value') out.bin = [offset, value.length] satisfies BinaryValueRef['bin'];
      else out[k] = v;
    }
    offset += value.length;
    return JSON.stringify(out);
  });
  return encodePayload(Buffer.from(`{"records":[${json.join(',')}]}`, 'utf8'), options, binary);
}

/**
 * {@link encodeBatch} of records already serialized one by one (the same
 * frame, byte for byte): a sender that measured each record's JSON does not
 * serialize it twice.
 */
export async function encodeRecordsJson(recordsJson: readonly string[], options: EncodeOptions = {}): Promise<EncodedBatch> {
  return encodePayload(Buffer.from(`{"records":[${recordsJson.join(',')}]}`, 'utf8'), options);
}

/**
 * The frame of a payload that is already the batch's JSON, `{"records":[...]}`
 * as UTF-8 (a sender that serialized the batch in one piece). `binary`: the
 * bytes of the values the JSON refers to by `bin` offsets, in order (a
 * version 2 frame; none makes a version 1 frame).
 */
export async function encodePayload(json: Buffer, options: EncodeOptions = {}, binary: readonly Uint8Array[] = []): Promise<EncodedBatch> {
  const version = binary.length > 0 ? SYNC_PROTOCOL_VERSION : JSON_ONLY_VERSION;
  // The payload: [JSON length (4 bytes), when there are binary values] JSON, binary values.
  const prefix = binary.length > 0 ? Buffer.alloc(4) : undefined;
  prefix?.writeUInt32BE(json.length, 0);
  const pieces: Uint8Array[] = prefix ? [prefix, json, ...binary] : [json];
  let rawLength = 0;
  for (const piece of pieces) rawLength += piece.length;
  const setting = options.compression ?? 'auto';
  let encoding: BatchEncoding =
    setting !== 'auto'
      ? setting
      : rawLength < (options.thresholdBytes ?? 1024) || (binary.length > 0 && (await incompressible(binary)))
        ? 'none'
        : rawLength < (options.brotliFromBytes ?? 65_536)
          ? 'gzip'
          : 'brotli';
  let payload: Buffer | undefined;
  if (encoding !== 'none') {
    const raw = pieces.length === 1 ? json : Buffer.concat(pieces, rawLength);
    // Output in one chunk the size of the input (what it compresses to, at most, when it is worth sending
    // compressed): one trip to the thread pool, where 16 KiB chunks made one callback on this thread per 16 KiB.
    const chunkSize = outputChunk(rawLength);
    payload = encoding === 'gzip' ? await gzipAsync(raw, { level: 6, chunkSize }) : await brotliAsync(raw, { chunkSize, params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: rawLength } });
    if (setting === 'auto' && payload.length >= rawLength) {
      payload = undefined;
      encoding = 'none';
    }
  }
  // Uncompressed, the pieces are copied once, straight into the frame (not joined first, then copied again).
  const body = payload ? [payload] : pieces;
  const bodyLength = payload ? payload.length : rawLength;
  const frame = Buffer.allocUnsafe(HEADER_BYTES + bodyLength);
  MAGIC.copy(frame, 0);
  frame.writeUInt8(version, 4);
  frame.writeUInt8(ENCODINGS.indexOf(encoding), 5);
  frame.writeUInt32BE(rawLength, 6);
  let at = HEADER_BYTES;
  let crc = 0;
  for (const piece of body) {
    frame.set(piece, at);
    crc = crc32(piece, crc);
    at += piece.length;
  }
  frame.writeUInt32BE(crc, 10);
  return { frame, rawBytes: rawLength, encoding };
}

/**
 * True when compressing the binary values would save under 10 %, judged on
 * their first {@link SAMPLE_BYTES}. First the bytes' order-0 entropy: under
 * 7.2 bits a byte, entropy coding alone saves about 10 % (compressible); over it,
 * only repeats can, so a sample none of whose four 32-byte probes occurs again
 * in it is incompressible (random, compressed or encrypted bytes: most large
 * files), without compressing anything; btrfs's compression heuristic samples
 * a write's byte distribution likewise. A sample with repeats gets a fast
 * deflate on the thread pool, the exact verdict. Measured (bench/frame-encode):
 * a 1 MiB frame of random bytes took 1.21 ms of CPU to encode when every
 * sample was deflated, 0.60 ms now, as much as with no compression at all.
 */
async function incompressible(binary: readonly Uint8Array[]): Promise<boolean> {
  const parts: Uint8Array[] = [];
  let bytes = 0;
  for (const part of binary) {
    if (bytes >= SAMPLE_BYTES) break;
    const take = part.subarray(0, SAMPLE_BYTES - bytes);
    parts.push(take);
    bytes += take.length;
  }
  if (bytes < 4096) return false; // too little to judge: the JSON decides
  const sample = parts.length === 1 ? Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, bytes) : Buffer.concat(parts, bytes);
  if (entropyBits(sample) < 7.2) return false;
  if (!hasRepeats(sample)) return true;
  return (await deflateRawAsync(sample, { level: 1 })).length > bytes * 0.9;
}

/** @internal Order-0 (byte frequency) entropy of `data`, in bits a byte: 8 for uniformly random bytes. */
export function entropyBits(data: Uint8Array): number {
  const counts = new Uint32Array(256);
  for (let i = 0; i < data.length; i++) counts[data[i]!]!++;
  let bits = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[b]!;
    if (c > 0) bits -= c * Math.log2(c / data.length);
  }
  return bits / data.length;
}

// Whether one of four 32-byte probes (at each quarter of the sample) occurs again later in it: a block repeated
// within the sample, which deflate's window would find though each byte looks random.
function hasRepeats(sample: Buffer): boolean {
  const quarter = Math.floor(sample.length / 4);
  for (let at = 0; at + 32 <= sample.length - 32; at += quarter) {
    if (sample.indexOf(sample.subarray(at, at + 32), at + 1) !== -1) return true;
  }
  return false;
}

// The header says how large the payload inflates to: one output chunk of that size makes one trip to the thread
// pool instead of one per 16 KiB (a 110 KB frame took 7, each a callback on the main thread).
const outputChunk = (rawLength: number): number => Math.max(64, rawLength + 1);

/**
 * Decodes and validates a frame; anything off (magic, protocol version,
 * encoding, checksum, length, JSON, record shape) is `SYNC_PROTOCOL_ERROR`
 * naming what, and nothing of the batch is used.
 */
export async function decodeBatch(frame: Buffer, options: { maxRawBytes: number; source: string }): Promise<ReplicaRecord[]> {
  const fail = (what: string, cause?: unknown): MeridianError =>
    new MeridianError('SYNC_PROTOCOL_ERROR', `sync batch from ${options.source}: ${what}`, { cause, details: { source: options.source } });
  if (!Buffer.isBuffer(frame) || frame.length < HEADER_BYTES || !frame.subarray(0, 4).equals(MAGIC)) throw fail('not a Meridian sync frame');
  const version = frame.readUInt8(4);
  if (version !== JSON_ONLY_VERSION && version !== SYNC_PROTOCOL_VERSION) throw fail(`protocol version ${version}, this side speaks ${JSON_ONLY_VERSION} to ${SYNC_PROTOCOL_VERSION}`);
  const encoding = ENCODINGS[frame.readUInt8(5)];
  if (!encoding) throw fail(`unknown encoding ${frame.readUInt8(5)}`);
  const rawLength = frame.readUInt32BE(6);
  if (rawLength > options.maxRawBytes) throw fail(`${rawLength} bytes declared, over the ${options.maxRawBytes} limit`);
  const payload = frame.subarray(HEADER_BYTES);
  if (crc32(payload) !== frame.readUInt32BE(10)) throw fail('checksum mismatch (corrupted in transit)');
  let raw: Buffer;
  try {
    raw =
      encoding === 'none'
        ? payload
        : encoding === 'gzip'
          ? await gunzipAsync(payload, { maxOutputLength: options.maxRawBytes, chunkSize: outputChunk(rawLength) })
          : await unbrotliAsync(payload, { maxOutputLength: options.maxRawBytes, chunkSize: outputChunk(rawLength) });
  } catch (cause) {
    throw fail(`${encoding} payload does not decompress`, cause);
  }
  if (raw.length !== rawLength) throw fail(`payload is ${raw.length} bytes, header says ${rawLength}`);
  let json = raw;
  let binary: Buffer | undefined;
  if (version === SYNC_PROTOCOL_VERSION) {
    const jsonLength = raw.length >= 4 ? raw.readUInt32BE(0) : -1;
    if (jsonLength < 0 || 4 + jsonLength > raw.length) throw fail('binary frame: JSON length past the end of the payload');
    json = raw.subarray(4, 4 + jsonLength);
    binary = raw.subarray(4 + jsonLength);
  }
  let body: unknown;
  try {
    body = JSON.parse(json.toString('utf8'));
  } catch (cause) {
    throw fail('payload is not JSON', cause);
  }
  const records = (body as { records?: unknown })?.records;
  if (!Array.isArray(records)) throw fail('payload has no records array');
  records.forEach((record, i) => {
    try {
      if (binary && record !== null && typeof record === 'object' && 'bin' in record) attachBinary(record as Record<string, unknown>, binary, i);
      checkRecord(record, `records[${i}]`);
    } catch (cause) {
      throw fail((cause as Error).message, cause);
    }
  });
  return records as ReplicaRecord[];
}

// Replaces a record's `bin: [offset, length]` with the bytes it names (a view of the payload, not a copy).
function attachBinary(record: Record<string, unknown>, binary: Buffer, i: number): void {
  const ref = record.bin;
  const ok = Array.isArray(ref) && ref.length === 2 && ref.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) && (ref[0] as number) + (ref[1] as number) <= binary.length;
  if (!ok) throw new Error(`records[${i}].bin must be [offset, length] within the ${binary.length} bytes of binary values`);
  if ('value' in record) throw new Error(`records[${i}] has both a value and a binary value`);
  record.value = binary.subarray(ref[0] as number, (ref[0] as number) + (ref[1] as number));
  delete record.bin;
}
