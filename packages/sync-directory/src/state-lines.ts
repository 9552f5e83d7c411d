import { open, readFile, rename, rm } from 'node:fs/promises';
import { MeridianError } from '@meridian/core';

// The store's state files (its journal, its disk ledger) are JSON lines, appended to and rewritten when mostly stale.

/**
 * The parsed lines of `file` (none when it does not exist). `check` throws
 * for a line that parses but is not one of the file's. A torn last line (a
 * crash in the middle of an append, never acknowledged) is dropped; a damaged
 * line before it is `SYNC_PROTOCOL_ERROR` naming the file and the line.
 */
export async function readStateLines<T>(file: string, check: (line: unknown) => T): Promise<T[]> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '' : Promise.reject(e)));
  const lines = text.split('\n');
  const out: T[] = [];
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    try {
      out.push(check(JSON.parse(line)));
    } catch (cause) {
      if (i === lines.length - 1) break; // torn final append
      throw new MeridianError('SYNC_PROTOCOL_ERROR', `${file}: line ${i + 1} is damaged; the directory store's state is damaged (remove the state directory to rebuild it from the tree)`, { cause });
    }
  }
  return out;
}

/**
 * Replaces `file` with `text` atomically (a temp file beside it, synced when
 * `durable`, then renamed): a crash leaves the old file or the new one.
 */
export async function replaceFile(file: string, text: string, durable: boolean): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file).catch(async (e: unknown) => {
    await rm(temp, { force: true });
    throw e;
  });
}
