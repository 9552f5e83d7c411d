import { MeridianError, type ReplicaEntry, type ReplicaWrite, type StoredRecord } from '@meridian/core';
import { isFingerprint, keyHash, leafOf, parseStoredRecord, recordEtag, toRecord } from '@meridian/core/spi';

/** Arguments of one write for the apply script: key, leaf, expected, leaf line, origin, record JSON after `{`. */
export function writeArgs(write: ReplicaWrite): string[] {
  const hash = keyHash(write.key);
  const head = [write.key, leafOf(hash), write.expected ?? ''];
  if (write.record === null) return [...head, '', '', ''];
  const record = toRecord(write.record);
  const etag = recordEtag(record);
  // The script puts `{"seq":N,` in front, so the stored JSON carries the seq it assigned.
  return [...head, `${hash} ${etag}`, record.origin, JSON.stringify({ etag, ...record }).slice(1)];
}

const shown = (key: string): string => JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}...` : key);

/** A stored record read back, validated; anything else is `SYNC_PROTOCOL_ERROR` naming the key. */
export function readRecord(text: unknown, key: string, prefix: string): StoredRecord {
  const source = `RedisReplicaStore (prefix "${prefix}", key ${shown(key)})`;
  if (typeof text !== 'string') throw new MeridianError('SYNC_PROTOCOL_ERROR', `${source}: the change log lists the key but its record is missing`, { details: { key, prefix } });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new MeridianError('SYNC_PROTOCOL_ERROR', `${source}: the stored record is not valid JSON`, { cause, details: { key, prefix } });
  }
  const record = parseStoredRecord(parsed, source);
  if (record.key !== key) throw new MeridianError('SYNC_PROTOCOL_ERROR', `${source}: the stored record is for key ${shown(record.key)}`, { details: { key, prefix } });
  return record;
}

/** An entry read back from the entries script: a key and its record's fingerprint (cut from its leaf line on the server). */
export function readEntry(key: unknown, fingerprint: unknown, prefix: string): ReplicaEntry {
  if (typeof key !== 'string' || !isFingerprint(fingerprint)) {
    throw new MeridianError('SYNC_PROTOCOL_ERROR', `RedisReplicaStore (prefix "${prefix}"): malformed tree entry ${JSON.stringify([key, fingerprint]).slice(0, 100)}`);
  }
  return [key, fingerprint];
}
