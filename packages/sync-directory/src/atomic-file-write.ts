import { randomBytes } from 'node:crypto';
import { lstat, lutimes, mkdir, open, rename, rm, symlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MeridianError } from '@meridian/core';

/** Marks a temp file of this store; the scan never syncs one, and one left by a crash is removed by the next write. */
export const TEMP_MARK = '.meridian-tmp-';

/**
 * Makes sure the parent directories of `relative` exist under `root` as real
 * directories. A parent that is a symbolic link (or a file) is refused with
 * `INVALID_ARGUMENT`: writing through it could put a file outside the tree.
 */
export async function ensureParents(root: string, relative: string, checked?: Set<string>): Promise<void> {
  const segments = relative.split('/').slice(0, -1);
  let dir = root;
  for (const segment of segments) {
    dir = join(dir, segment);
    // Directories already checked by this batch of writes are not looked up again.
    if (checked?.has(dir)) continue;
    checked?.add(dir);
    try {
      const info = await lstat(dir);
      if (info.isDirectory()) continue;
      throw new MeridianError('INVALID_ARGUMENT', `cannot write ${join(root, relative)}: ${dir} is ${info.isSymbolicLink() ? 'a symbolic link' : 'not a directory'} here, and files are never written through one`, {
        details: { field: dir },
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // Another file of the same batch may be creating it too.
      await mkdir(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'EEXIST' ? undefined : Promise.reject(e)));
    }
  }
}

/** A temp name beside `file` (same directory, so the rename is atomic). */
export function tempNameFor(file: string): string {
  return join(dirname(file), `.${basename(file).slice(0, 100)}${TEMP_MARK}${randomBytes(6).toString('hex')}`);
}

/**
 * Writes a regular file atomically: the parts go to a temp file beside it,
 * which is fsync'd (when durable), given its mode and mtime, then renamed over
 * the target. A reader sees the old file or the new one, never a torn one.
 */
export async function writeFileAtomic(file: string, parts: Iterable<Buffer>, meta: { mode: number; mtimeMs: number }, durable: boolean): Promise<void> {
  const temp = tempNameFor(file);
  const handle = await open(temp, 'wx', 0o600);
  try {
    try {
      // Parts (chunks of 4-64 KiB) are gathered into writes of about 1 MiB: one round trip each.
      let batch: Buffer[] = [];
      let batched = 0;
      for (const part of parts) {
        batch.push(part);
        batched += part.length;
        if (batched >= 1 << 20) {
          await writeAll(handle, Buffer.concat(batch, batched));
          batch = [];
          batched = 0;
        }
      }
      if (batched > 0) await writeAll(handle, Buffer.concat(batch, batched));
      // Through the open handle: no second path lookup per file.
      await handle.chmod(meta.mode);
      await handle.utimes(new Date(meta.mtimeMs), new Date(meta.mtimeMs));
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Writes all of `data` (a write may take fewer bytes than it was given). */
async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  for (let at = 0; at < data.length; ) at += (await handle.write(data, at, data.length - at)).bytesWritten;
}

/** Replaces `file` with a symbolic link, atomically (link made under a temp name, then renamed). */
export async function writeLinkAtomic(file: string, target: string, mtimeMs: number): Promise<void> {
  const temp = tempNameFor(file);
  await symlink(target, temp);
  try {
    await lutimes(temp, new Date(mtimeMs), new Date(mtimeMs)).catch(() => undefined); // not every filesystem keeps link times
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** fsyncs a directory, so the renames in it survive a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
