import { createHash } from 'node:crypto';
import { MeridianError, type SnapshotWriteOptions } from '@meridian/core';
import { SNAPSHOT_KEY_PATTERN } from '@meridian/core/spi';

/** Refuses keys a store cannot hold safely (path separators, empty, too long). */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || !SNAPSHOT_KEY_PATTERN.test(key)) {
    throw new MeridianError('INVALID_ARGUMENT', `Invalid snapshot key ${JSON.stringify(key)}: must match ${SNAPSHOT_KEY_PATTERN.source}`, { details: { field: 'key' } });
  }
  return key;
}

/** Content etag: the SHA-256 of the bytes, so equal content has equal tags across stores. */
export function etagOf(bytes: Buffer): string {
  return `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`;
}

/** Applies If-Match / If-None-Match against the current etag (undefined: nothing stored). */
export function checkConditions(key: string, current: string | undefined, options: SnapshotWriteOptions): void {
  if (options.ifNoneMatch === '*' && current !== undefined) {
    throw new MeridianError('PRECONDITION_FAILED', `Snapshot "${key}" already exists (ifNoneMatch: *)`, { details: { key } });
  }
  if (options.ifMatch !== undefined && options.ifMatch !== current) {
    throw new MeridianError('PRECONDITION_FAILED', `Snapshot "${key}" changed: etag is ${current ?? '(none)'}, expected ${options.ifMatch}`, { details: { key } });
  }
}
