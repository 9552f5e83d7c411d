import { randomBytes } from 'node:crypto';
import type { SnapshotKey } from '@meridian/session-migration';
import { CliError, EXIT } from '../exit-codes.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { Log } from './logger.js';

/**
 * The session snapshot key, from the environment variable the config names
 * (`sessions.keyEnv`): 32 bytes as 64 hex digits or base64. Never read from the
 * file. Without it, a memory store gets a key for this run only; a directory
 * store refuses to start (its snapshots would be unreadable after a restart).
 */
export function snapshotKey(loaded: LoadedConfig, env: NodeJS.ProcessEnv, log: Log): SnapshotKey {
  const { keyEnv, keyId, store } = loaded.config.sessions;
  const raw = env[keyEnv];
  if (raw === undefined || raw === '') {
    if (store !== 'memory') {
      throw new CliError(`${loaded.where(['sessions', 'keyEnv'])}: sessions.keyEnv: the environment variable ${keyEnv} is not set, and a directory snapshot store needs a lasting key`, EXIT.USAGE);
    }
    log(`sessions: ${keyEnv} is not set; snapshots are encrypted with a key made for this run only`);
    return { id: keyId, key: randomBytes(32) };
  }
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) {
    throw new CliError(`${loaded.where(['sessions', 'keyEnv'])}: sessions.keyEnv: ${keyEnv} must hold 32 bytes as 64 hex digits or base64 (it holds ${key.length} bytes)`, EXIT.USAGE);
  }
  return { id: keyId, key };
}
