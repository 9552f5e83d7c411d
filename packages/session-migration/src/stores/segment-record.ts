import { crc32 } from 'node:zlib';
import { SNAPSHOT_KEY_PATTERN } from '@meridian/core/spi';

/**
 * One framed record of a segment file:
 *
 * | bytes | field |
 * |---|---|
 * | 4 | magic `MSG1` |
 * | 4 | CRC-32 of every byte after this field (header rest, key, etag, value) |
 * | 1 | kind: 1 put, 2 tombstone, 3 corrupt marker |
 * | 1 | key length |
 * | 1 | etag length |
 * | 1 | reserved (0) |
 * | 4 | value length |
 * | … | key, etag, value |
 *
 * The checksum covers the lengths too, so a torn or flipped header is caught
 * as surely as a torn value.
 */
export const RECORD_MAGIC = 0x4d534731;
/** Bytes before the key. */
export const HEADER_BYTES = 16;

/** What a record says. */
export enum RecordKind {
  Put = 1,
  Tombstone = 2,
  /** Written by compaction where it found a corrupt record: the key stays reported corrupt, not silently gone. */
  Corrupt = 3,
}

/** A record read back (value as a view into the buffer it was read from). */
export interface DecodedRecord {
  kind: RecordKind;
  key: string;
  etag: string;
  value: Buffer;
  /** Whole record, header included. */
  length: number;
}

/** The record's bytes in one buffer (one copy: a caller mutating its Buffer later cannot tear it). */
export function encodeRecord(kind: RecordKind, key: string, etag: string, value: Buffer = Buffer.alloc(0)): Buffer {
  const keyBytes = Buffer.from(key, 'latin1');
  const etagBytes = Buffer.from(etag, 'latin1');
  if (etagBytes.length > 255) throw new RangeError('etag longer than 255 bytes');
  if (value.length > 0xffffffff) throw new RangeError('value longer than 4 GiB');
  const record = Buffer.allocUnsafe(HEADER_BYTES + keyBytes.length + etagBytes.length + value.length);
  record.writeUInt32BE(RECORD_MAGIC, 0);
  record.writeUInt8(kind, 8);
  record.writeUInt8(keyBytes.length, 9);
  record.writeUInt8(etagBytes.length, 10);
  record.writeUInt8(0, 11);
  record.writeUInt32BE(value.length, 12);
  keyBytes.copy(record, HEADER_BYTES);
  etagBytes.copy(record, HEADER_BYTES + keyBytes.length);
  value.copy(record, HEADER_BYTES + keyBytes.length + etagBytes.length);
  record.writeUInt32BE(crc32(record.subarray(8)), 4);
  return record;
}

/** The length a header at `offset` announces, or undefined when the header is not even plausible. */
export function announcedLength(buffer: Buffer, offset: number): number | undefined {
  if (offset + HEADER_BYTES > buffer.length) return undefined;
  if (buffer.readUInt32BE(offset) !== RECORD_MAGIC) return undefined;
  const kind = buffer.readUInt8(offset + 8);
  if (kind < RecordKind.Put || kind > RecordKind.Corrupt || buffer.readUInt8(offset + 11) !== 0) return undefined;
  const keyLength = buffer.readUInt8(offset + 9);
  if (keyLength === 0) return undefined;
  return HEADER_BYTES + keyLength + buffer.readUInt8(offset + 10) + buffer.readUInt32BE(offset + 12);
}

/** The record at `offset` when it is whole and its checksum matches; undefined otherwise. */
export function decodeRecord(buffer: Buffer, offset: number): DecodedRecord | undefined {
  const length = announcedLength(buffer, offset);
  if (length === undefined || offset + length > buffer.length) return undefined;
  if (crc32(buffer.subarray(offset + 8, offset + length)) !== buffer.readUInt32BE(offset + 4)) return undefined;
  const keyLength = buffer.readUInt8(offset + 9);
  const etagLength = buffer.readUInt8(offset + 10);
  const key = buffer.toString('latin1', offset + HEADER_BYTES, offset + HEADER_BYTES + keyLength);
  if (!SNAPSHOT_KEY_PATTERN.test(key)) return undefined;
  const valueStart = offset + HEADER_BYTES + keyLength + etagLength;
  return {
    kind: buffer.readUInt8(offset + 8) as RecordKind,
    key,
    etag: buffer.toString('latin1', offset + HEADER_BYTES + keyLength, valueStart),
    value: buffer.subarray(valueStart, offset + length),
    length,
  };
}

/** The key a damaged record names, when its header still reads as one (to report it corrupt rather than lose it). */
export function damagedRecordKey(buffer: Buffer, offset: number): string | undefined {
  if (offset + HEADER_BYTES > buffer.length || buffer.readUInt32BE(offset) !== RECORD_MAGIC) return undefined;
  const keyLength = buffer.readUInt8(offset + 9);
  if (offset + HEADER_BYTES + keyLength > buffer.length) return undefined;
  const key = buffer.toString('latin1', offset + HEADER_BYTES, offset + HEADER_BYTES + keyLength);
  return SNAPSHOT_KEY_PATTERN.test(key) ? key : undefined;
}
