import { open, readFile, rename, rm, truncate } from 'node:fs/promises';
import { MeridianError } from '@meridian/core';

// The store's state files (its journal, its disk ledger) are JSON lines, appended to and rewritten when mostly stale.
// A journal line may be followed by raw bytes (a binary record value): the line says how many with `"b": N`, and the
// bytes end with a newline of their own. JSON keeps the rest readable; the bytes are not inflated by base64.

const NL = 0x0a;

/** A parsed line, and the raw bytes that followed it (when it announced some with `b`). */
export type StateLine = { line: unknown; bytes?: Buffer };

/**
 * The parsed lines of `file` (none when it does not exist). `check` throws
 * for a line that parses but is not one of the file's. With `attachments`, a
 * line whose object has a whole number `b` is followed by that many raw bytes
 * and a newline, handed to `check` with it. A torn end (a crash in the middle
 * of an append, never acknowledged) is dropped and cut off the file, so the
 * next append starts a line of its own instead of gluing onto it; damage
 * before it is `SYNC_PROTOCOL_ERROR` naming the file and the line.
 */
export async function readStateLines<T>(file: string, check: (line: unknown, bytes?: Buffer) => T, options: { attachments?: boolean } = {}): Promise<T[]> {
  const data = await readFile(file).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? Buffer.alloc(0) : Promise.reject(e)));
  const out: T[] = [];
  let at = 0;
  for (let n = 1; at < data.length; n++) {
    const end = data.indexOf(NL, at);
    if (end < 0) break; // torn: the line never got its newline
    let next = end + 1;
    if (end === at) {
      at = next;
      continue;
    }
    try {
      const line: unknown = JSON.parse(data.toString('utf8', at, end));
      const length = options.attachments ? (line as { b?: unknown } | null)?.b : undefined;
      if (length === undefined) out.push(check(line));
      else {
        if (!Number.isSafeInteger(length) || (length as number) < 0) throw new Error('b must be a whole number of bytes');
        next = end + 1 + (length as number) + 1;
        if (next > data.length) break; // torn: its bytes were not all appended
        if (data[next - 1] !== NL) throw new Error(`the ${String(length)} bytes after the line do not end with a newline`);
        out.push(check(line, data.subarray(end + 1, next - 1)));
      }
    } catch (cause) {
      throw new MeridianError('SYNC_PROTOCOL_ERROR', `${file}: line ${n} is damaged; the directory store's state is damaged (remove the state directory to rebuild it from the tree)`, { cause });
    }
    at = next;
  }
  if (at < data.length) await truncate(file, at);
  return out;
}

/**
 * Replaces `file` with `content` atomically (a temp file beside it, synced
 * when `durable`, then renamed): a crash leaves the old file or the new one.
 */
export async function replaceFile(file: string, content: string | Buffer, durable: boolean): Promise<void> {
  const temp = `${file}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(content);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file).catch(async (e: unknown) => {
    await rm(temp, { force: true });
    throw e;
  });
}
