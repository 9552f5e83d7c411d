import { MeridianError } from '@meridian/core';

/** Key of a file's record: `file:` and its path relative to the data path, with `/`. */
export const FILE_PREFIX = 'file:';
/** Key of a chunk's record: `chunk:` and the SHA-256 of its bytes. */
export const CHUNK_PREFIX = 'chunk:';
const HASH = /^[0-9a-f]{64}$/;

/** What a key names. */
export type ParsedKey = { kind: 'file'; path: string } | { kind: 'chunk'; hash: string };

/**
 * Parses a record key; anything else is `INVALID_ARGUMENT`: this store holds a
 * directory, and a path that could leave it (`..`, absolute, empty segment) is
 * refused before it reaches the disk.
 */
export function parseKey(key: string): ParsedKey {
  if (key.startsWith(CHUNK_PREFIX)) {
    const hash = key.slice(CHUNK_PREFIX.length);
    if (HASH.test(hash)) return { kind: 'chunk', hash };
  } else if (key.startsWith(FILE_PREFIX)) {
    const path = key.slice(FILE_PREFIX.length);
    const segments = path.split('/');
    if (path !== '' && !segments.some((s) => s === '' || s === '.' || s === '..') && !path.includes('\\')) return { kind: 'file', path };
  }
  throw new MeridianError('INVALID_ARGUMENT', `"${key.slice(0, 120)}" is not a directory-sync key (file:<relative path> or chunk:<sha-256>)`, { details: { field: key } });
}
