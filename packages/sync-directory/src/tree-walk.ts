import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MeridianError } from '@meridian/core';
import PQueue from 'p-queue';
import type { FileStat, LstatResult, WorkerError } from './disk-protocol.js';
import { fromWorker } from './disk-worker.js';
import type { IgnoreRules } from './ignore-rules.js';

/** lstat of many paths at once (null: none), with each link's target and whether it loops. */
export type LstatMany = (paths: string[], links: boolean) => Promise<Array<LstatResult | { error: WorkerError }>>;

/** A file or symbolic link found in the tree. */
export type TreeEntry = { kind: 'file'; path: string; stat: FileStat } | { kind: 'link'; path: string; stat: FileStat; target: string };

/** What the walk left out, and why (a name a key cannot carry, a device or socket). */
export interface SkippedEntry {
  /** Relative path. */
  path: string;
  /** Why it is not synced. */
  reason: string;
}

// A key is 1-1024 UTF-8 bytes without control characters; `file:` takes 5.
const MAX_PATH_BYTES = 1024 - 5;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Directories whose listing (readdir, then an lstat of its entries on a disk thread) is in flight at once. */
const LISTINGS_IN_FLIGHT = 4;

/**
 * Lists the regular files and symbolic links under `root` (relative paths with
 * `/`, sorted), without following links: a link is data (its target text), so
 * the walk never leaves the tree through one and cannot loop. A link that
 * points into a loop (resolving it fails with ELOOP) is refused with
 * `INVALID_ARGUMENT` naming it: replicating it would copy a broken structure
 * to every region. Ignored entries and directories are not visited. A few
 * directories are listed at once, and `onEntries` gets each directory's
 * entries as soon as they are known, so a caller can start reading them while
 * the walk goes on. The walk settles only once every directory it started is
 * done (on an error too).
 */
export async function walkTree(
  root: string,
  ignore: IgnoreRules,
  isInternal: (relative: string) => boolean,
  lstatMany: LstatMany,
  signal?: AbortSignal,
  onEntries?: (entries: TreeEntry[]) => void,
): Promise<{ entries: TreeEntry[]; skipped: SkippedEntry[] }> {
  const entries: TreeEntry[] = [];
  const skipped: SkippedEntry[] = [];
  let failed = false;
  const listings = new PQueue({ concurrency: LISTINGS_IN_FLIGHT });
  const visit = async (relativeDir: string): Promise<void> => {
    try {
      await list(relativeDir);
    } catch (error) {
      failed = true; // the directories not listed yet are not listed at all
      throw error;
    }
  };
  const list = async (relativeDir: string): Promise<void> => {
    const { names, infos } = await listings.add(async () => {
      signal?.throwIfAborted();
      const listed = (await readdir(relativeDir === '' ? root : join(root, relativeDir))).filter((name) => !isInternal(relativeDir === '' ? name : `${relativeDir}/${name}`));
      // A directory's entries are looked up in one request to the disk thread.
      return { names: listed, infos: failed ? [] : await lstatMany(listed.map((name) => join(root, relativeDir, name)), true) };
    });
    if (failed) return;
    const here: TreeEntry[] = [];
    const subdirectories: string[] = [];
    for (const [i, name] of names.entries()) {
      const relative = relativeDir === '' ? name : `${relativeDir}/${name}`;
      const absolute = join(root, relative);
      const info = infos[i];
      if (!info) continue; // removed since readdir: the next scan sees it gone
      if ('error' in info) throw fromWorker(info.error);
      if (ignore.ignores(relative, info.kind === 'dir')) continue;
      if (info.kind === 'dir') {
        subdirectories.push(relative);
        continue;
      }
      if (CONTROL.test(relative) || Buffer.byteLength(relative, 'utf8') > MAX_PATH_BYTES) {
        skipped.push({ path: relative, reason: 'the path has a control character or is longer than 1019 bytes' });
        continue;
      }
      if (info.kind === 'file') here.push({ kind: 'file', path: relative, stat: info });
      else if (info.kind === 'link') {
        if (info.loop) {
          throw new MeridianError('INVALID_ARGUMENT', `symbolic link loop at ${absolute}: resolving it never ends; remove or fix the link (links are synced as links, never followed)`, {
            details: { field: absolute },
          });
        }
        // A dangling link is still a link: kept as it is (one removed since the lstat has no target: the next scan sees it gone).
        if (info.target !== undefined) here.push({ kind: 'link', path: relative, stat: info, target: info.target });
      } else skipped.push({ path: relative, reason: 'not a regular file, directory or symbolic link' });
    }
    entries.push(...here);
    if (here.length > 0) onEntries?.(here);
    const visits = await Promise.allSettled(subdirectories.map(visit));
    const rejected = visits.find((v): v is PromiseRejectedResult => v.status === 'rejected');
    if (rejected) throw rejected.reason;
  };
  await visit('');
  const byPath = (x: { path: string }, y: { path: string }): number => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0);
  return { entries: entries.sort(byPath), skipped: skipped.sort(byPath) };
}
