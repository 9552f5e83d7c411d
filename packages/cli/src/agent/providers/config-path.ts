import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { LoadedConfig } from '../../config/load-config.js';

/** A path as a user writes it in the config: `~/...` is the home directory, a relative one is relative to the config file. */
export function configRelativePath(loaded: Pick<LoadedConfig, 'path'>, path: string): string {
  if (path === '~' || path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return resolve(dirname(loaded.path), path);
}
