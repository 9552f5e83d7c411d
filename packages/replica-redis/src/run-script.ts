import type { LuaScript } from './lua-scripts.js';

/** Sends one command (raw arguments) with the store's options, bounds and error mapping. */
export type Exec = (args: readonly string[]) => Promise<unknown>;

/**
 * Runs a script by its SHA-1 (EVALSHA); when the server does not have it yet
 * (first use, or a restarted server: NOSCRIPT) sends the source once (EVAL),
 * which also caches it there.
 */
export async function runScript(exec: Exec, script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args];
  try {
    return await exec(['EVALSHA', script.sha, ...tail]);
  } catch (error) {
    if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
    return exec(['EVAL', script.source, ...tail]);
  }
}
