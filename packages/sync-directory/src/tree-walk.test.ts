import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LstatResult, WorkerError } from './disk-protocol.js';
import { IgnoreRules } from './ignore-rules.js';
import { walkTree, type TreeEntry } from './tree-walk.js';

// The disk thread's lstat, here on the test's thread, counting how many run at once (each takes a macrotask).
function countingLstat(): { lstat: (paths: string[], links: boolean) => Promise<Array<LstatResult | { error: WorkerError }>>; calls: () => number; most: () => number } {
  let running = 0;
  let most = 0;
  let calls = 0;
  const lstat = async (paths: string[]): Promise<Array<LstatResult | { error: WorkerError }>> => {
    calls += 1;
    most = Math.max(most, ++running);
    await new Promise((resolve) => setImmediate(resolve));
    running -= 1;
    return paths.map((path) => {
      const s = lstatSync(path, { throwIfNoEntry: false });
      if (!s) return null;
      const kind = s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'link' : s.isFile() ? 'file' : 'other';
      const out = { kind, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino, mode: s.mode } as LstatResult & object;
      if (kind === 'link') {
        out.target = readlinkSync(path);
        try {
          statSync(path);
        } catch (e) {
          if ((e as { code?: string }).code === 'ELOOP') out.loop = true;
        }
      }
      return out;
    });
  };
  return { lstat, calls: () => calls, most: () => most };
}

describe('walkTree', () => {
  it('lists a few directories at once, hands each directory over as it is listed, and returns every entry sorted', async () => {
    const root = await mkdtemp(join(tmpdir(), 'meridian-walk-'));
    try {
      const expected: string[] = [];
      for (let d = 0; d < 12; d++) {
        for (let f = 0; f < 3; f++) {
          await mkdir(join(root, `d${d}`, 'inner'), { recursive: true });
          await writeFile(join(root, `d${d}`, `f${f}`), 'x');
          await writeFile(join(root, `d${d}`, 'inner', `g${f}`), 'y');
          expected.push(`d${d}/f${f}`, `d${d}/inner/g${f}`);
        }
      }
      const disk = countingLstat();
      const handed: TreeEntry[][] = [];
      const { entries } = await walkTree(root, new IgnoreRules([]), () => false, disk.lstat, undefined, (found) => handed.push(found));
      expect(entries.map((e) => e.path)).toEqual([...expected].sort());
      expect(disk.most()).toBeGreaterThan(1); // directories listed side by side
      expect(disk.most()).toBeLessThanOrEqual(4); // and no more than four at once
      expect(handed).toHaveLength(24); // one hand-over per directory that holds files
      expect(handed.flat().map((e) => e.path).sort()).toEqual([...expected].sort());
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('fails on a symbolic link loop only once every directory it started is done, and lists none after', async () => {
    const root = await mkdtemp(join(tmpdir(), 'meridian-walk-'));
    try {
      for (let d = 0; d < 12; d++) {
        await mkdir(join(root, `d${d}`, 'a', 'b'), { recursive: true });
        await writeFile(join(root, `d${d}`, 'a', 'b', 'f'), 'x');
      }
      await symlink('loop', join(root, 'd0', 'loop'));
      const disk = countingLstat();
      await expect(walkTree(root, new IgnoreRules([]), () => false, disk.lstat)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(`symbolic link loop at ${join(root, 'd0', 'loop')}`) });
      const calls = disk.calls();
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(disk.calls()).toBe(calls); // nothing of the walk goes on behind its failure
      expect(calls).toBeLessThan(1 + 12 * 3); // and it stopped listing: not every directory was looked at
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
