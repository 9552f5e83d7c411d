import { MeridianError, type SessionRecord } from '@meridian/core';
import { decodeStoredRecord } from '@meridian/core/spi';

/**
 * The stored text of a checked record: JSON with `epoch` then `region` first,
 * the two fields the registry's Lua scripts read from the start of the text.
 */
export function encodeSessionRecord(record: SessionRecord): string {
  const { epoch, region, ...rest } = record;
  return JSON.stringify({ epoch, region, ...rest });
}

/**
 * A stored record read back and checked as a put checks it; anything else
 * (not JSON, not a record, another id) is `SYNC_PROTOCOL_ERROR` naming the id.
 */
export function decodeSessionRecord(text: unknown, id: string, prefix: string): SessionRecord {
  const source = `RedisSessionRegistry (prefix "${prefix}", session "${id}")`;
  const corrupt = (why: string, cause?: unknown): MeridianError =>
    new MeridianError('SYNC_PROTOCOL_ERROR', `${source}: ${why}`, { cause, details: { source: 'RedisSessionRegistry', key: id, prefix } });
  if (typeof text !== 'string') throw corrupt('the index lists the session but its record is missing');
  return decodeStoredRecord(text, id, corrupt);
}

/** The error of a stored value the scripts cannot read (not written by this registry). */
export function unreadableRecord(id: string, prefix: string): MeridianError {
  return new MeridianError('SYNC_PROTOCOL_ERROR', `RedisSessionRegistry (prefix "${prefix}", session "${id}"): the stored value is not a session record this registry wrote`, {
    details: { source: 'RedisSessionRegistry', key: id, prefix },
  });
}

/** The error of a record found in another region's index. */
export function misfiled(record: SessionRecord, region: string, prefix: string): MeridianError {
  return new MeridianError('SYNC_PROTOCOL_ERROR', `RedisSessionRegistry (prefix "${prefix}", session "${record.id}"): listed under region "${region}" but the record is in "${record.region}"`, {
    details: { source: 'RedisSessionRegistry', key: record.id, prefix },
  });
}
