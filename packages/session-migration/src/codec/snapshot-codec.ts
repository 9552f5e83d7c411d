import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, deflateRawSync, inflateRawSync } from 'node:zlib';
import { MeridianError } from '@meridian/core';
import { invalidConfig, parseOptions } from '@meridian/core/spi';
import { codecOptionsSchema, type SnapshotCodecOptions, type SnapshotKey } from './codec-options.js';

// Layout (all integers big-endian):
//   magic "MRDS" | version u8 | compression u8 | keyId length u8 | keyId | iv (12) | plaintext length u32 | tag (16)
//   | ciphertext | SHA-256 of everything before it (32)
// The header is GCM additional data, so a changed header fails authentication too;
// the trailing checksum tells corruption in storage apart from a wrong key.
const MAGIC = Buffer.from('MRDS');
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SUM_BYTES = 32;

/** Compression used for a snapshot. */
export type SnapshotCompression = 'none' | 'deflate' | 'brotli';
const COMPRESSIONS: SnapshotCompression[] = ['none', 'deflate', 'brotli'];

/** What the header of an encoded snapshot says (readable without the key). */
export interface SnapshotHeader {
  /** Format version. */
  version: number;
  /** Compression of the payload. */
  compression: SnapshotCompression;
  /** Key the snapshot was encrypted with. */
  keyId: string;
  /** Size of the JSON payload before compression. */
  plaintextBytes: number;
}

function corrupt(why: string, cause?: unknown): MeridianError {
  return new MeridianError('SNAPSHOT_CORRUPT', `Snapshot refused: ${why}`, { ...(cause === undefined ? {} : { cause }), details: { reason: why } });
}

function tooLarge(bytes: number, max: number, what: string): MeridianError {
  return new MeridianError('SNAPSHOT_TOO_LARGE', `Snapshot refused: ${what} is ${bytes} bytes, over the ${max}-byte limit`, { details: { bytes, max } });
}

/**
 * Turns session state into bytes safe to store anywhere, and back: JSON,
 * compressed when worth it, encrypted with AES-256-GCM under a key id (so keys
 * rotate: old snapshots stay readable while their key is listed), and
 * checksummed with SHA-256. A truncated, tampered, wrongly keyed or oversized
 * snapshot is refused with SNAPSHOT_CORRUPT or SNAPSHOT_TOO_LARGE; nothing
 * partial is ever returned.
 */
export class SnapshotCodec {
  readonly #keys = new Map<string, Buffer>();
  readonly #active: SnapshotKey;
  readonly #o: ReturnType<typeof codecOptionsSchema.parse>;

  constructor(options: SnapshotCodecOptions) {
    this.#o = parseOptions(codecOptionsSchema, options, 'SnapshotCodec options');
    for (const [index, { id, key }] of this.#o.keys.entries()) {
      if (this.#keys.has(id)) throw invalidConfig('SnapshotCodec options', [{ path: `keys[${index}].id`, message: 'duplicate key id', value: JSON.stringify(id) }]);
      this.#keys.set(id, key);
    }
    const activeId = this.#o.activeKeyId ?? this.#o.keys[0]!.id;
    const active = this.#keys.get(activeId);
    if (!active) throw invalidConfig('SnapshotCodec options', [{ path: 'activeKeyId', message: 'is not one of keys[].id', value: JSON.stringify(activeId) }]);
    this.#active = { id: activeId, key: active };
  }

  /** Id of the key new snapshots are encrypted with. */
  get activeKeyId(): string {
    return this.#active.id;
  }

  /** Encodes a JSON-serialisable value. */
  encode(value: unknown): Buffer {
    const json = JSON.stringify(value);
    if (json === undefined) throw new MeridianError('INVALID_ARGUMENT', 'Snapshot value is not JSON-serialisable');
    return this.encodeJson(json);
  }

  /**
   * Encodes a value already serialised as JSON text, exactly as `encode` would
   * encode the value. The text is not parsed here (that is the point: large
   * states are not parsed only to be serialised again); text that is not JSON
   * is refused by `decode` with SNAPSHOT_CORRUPT.
   */
  encodeJson(json: string): Buffer {
    if (typeof json !== 'string') throw new MeridianError('INVALID_ARGUMENT', 'Snapshot JSON must be a string');
    const plain = Buffer.from(json, 'utf8');
    if (plain.length > this.#o.maxBytes) throw tooLarge(plain.length, this.#o.maxBytes, 'the session state');
    const compression: SnapshotCompression =
      plain.length > this.#o.brotliAboveBytes ? 'brotli' : plain.length > this.#o.compressAboveBytes ? 'deflate' : 'none';
    const payload = compression === 'brotli' ? brotliCompressSync(plain) : compression === 'deflate' ? deflateRawSync(plain, { level: this.#o.compressionLevel }) : plain;
    const keyId = Buffer.from(this.#active.id, 'utf8');
    const iv = randomBytes(IV_BYTES);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(plain.length);
    const headerNoTag = Buffer.concat([MAGIC, Buffer.from([VERSION, COMPRESSIONS.indexOf(compression), keyId.length]), keyId, iv, length]);
    const cipher = createCipheriv('aes-256-gcm', this.#active.key, iv);
    cipher.setAAD(headerNoTag);
    const ciphertext = Buffer.concat([cipher.update(payload), cipher.final()]);
    const body = Buffer.concat([headerNoTag, cipher.getAuthTag(), ciphertext]);
    return Buffer.concat([body, createHash('sha256').update(body).digest()]);
  }

  /** Reads the header without decrypting (for key-rotation sweeps and diagnostics). */
  header(bytes: Buffer): SnapshotHeader {
    return this.#parse(bytes).header;
  }

  /** Decodes, verifying checksum, key, authentication and size; throws rather than return anything doubtful. */
  decode<T = unknown>(bytes: Buffer): T {
    const json = this.decodeJson(bytes);
    try {
      return JSON.parse(json) as T;
    } catch (error) {
      throw corrupt('payload is not JSON', error);
    }
  }

  /**
   * Decodes to the JSON text, verifying checksum, key, authentication and size
   * as `decode` does, without parsing it: for a caller that passes the text on.
   */
  decodeJson(bytes: Buffer): string {
    const { header, headerNoTag, tag, ciphertext, iv } = this.#parse(bytes);
    const key = this.#keys.get(header.keyId);
    if (!key) throw corrupt(`encrypted with key "${header.keyId}", which is not among the configured keys`);
    let payload: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(headerNoTag);
      decipher.setAuthTag(tag);
      payload = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch (error) {
      throw corrupt('authentication failed (tampered, or the key under this id changed)', error);
    }
    let plain: Buffer;
    try {
      const limit = { maxOutputLength: header.plaintextBytes };
      plain = header.compression === 'brotli' ? brotliDecompressSync(payload, limit) : header.compression === 'deflate' ? inflateRawSync(payload, limit) : payload;
    } catch (error) {
      throw corrupt('payload does not decompress', error);
    }
    if (plain.length !== header.plaintextBytes) throw corrupt(`payload is ${plain.length} bytes, header says ${header.plaintextBytes}`);
    return plain.toString('utf8');
  }

  #parse(bytes: Buffer): { header: SnapshotHeader; headerNoTag: Buffer; tag: Buffer; ciphertext: Buffer; iv: Buffer } {
    if (!Buffer.isBuffer(bytes)) throw new MeridianError('INVALID_ARGUMENT', 'Snapshot must be a Buffer');
    if (bytes.length > this.#o.maxBytes + 1024) throw tooLarge(bytes.length, this.#o.maxBytes + 1024, 'the encoded snapshot');
    const fixed = MAGIC.length + 3;
    if (bytes.length < fixed + IV_BYTES + 4 + TAG_BYTES + SUM_BYTES) throw corrupt(`truncated (${bytes.length} bytes)`);
    if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt('not a Meridian snapshot (bad magic)');
    const body = bytes.subarray(0, bytes.length - SUM_BYTES);
    if (!createHash('sha256').update(body).digest().equals(bytes.subarray(bytes.length - SUM_BYTES))) throw corrupt('checksum mismatch (corrupted or truncated)');
    const version = bytes[MAGIC.length]!;
    if (version !== VERSION) throw corrupt(`format version ${version} is not supported (this build reads ${VERSION})`);
    const compression = COMPRESSIONS[bytes[MAGIC.length + 1]!];
    if (!compression) throw corrupt(`unknown compression ${bytes[MAGIC.length + 1]}`);
    const keyIdLength = bytes[MAGIC.length + 2]!;
    if (fixed + keyIdLength + IV_BYTES + 4 + TAG_BYTES > body.length) throw corrupt('header longer than the snapshot');
    let at = fixed;
    const keyId = bytes.subarray(at, (at += keyIdLength)).toString('utf8');
    const iv = bytes.subarray(at, (at += IV_BYTES));
    const plaintextBytes = bytes.readUInt32BE(at);
    at += 4;
    if (plaintextBytes > this.#o.maxBytes) throw tooLarge(plaintextBytes, this.#o.maxBytes, 'the session state');
    const headerNoTag = bytes.subarray(0, at);
    const tag = bytes.subarray(at, (at += TAG_BYTES));
    const ciphertext = body.subarray(at);
    return { header: { version, compression, keyId, plaintextBytes }, headerNoTag, tag, ciphertext, iv };
  }
}
