import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, utimes, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A temp folder holding one subfolder per region; `cleanup` removes it. */
export async function regionDirs(ids: readonly string[]): Promise<{ root: string; dirs: Record<string, string>; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'meridian-dirsync-'));
  const dirs: Record<string, string> = {};
  for (const id of ids) {
    dirs[id] = join(root, id);
    await mkdir(dirs[id]!);
  }
  return { root, dirs, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Writes a file with a given mode and mtime (whole milliseconds, as the store keeps them). */
export async function putFile(dir: string, path: string, data: Buffer | string, mode = 0o644, mtimeMs = 1_700_000_000_000): Promise<void> {
  const file = join(dir, path);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, data);
  await chmod(file, mode);
  await utimes(file, new Date(mtimeMs), new Date(mtimeMs));
}

/** `count` small files of 100 B to 4 KiB in nested folders. */
export async function smallFiles(dir: string, count: number): Promise<void> {
  const batch: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    batch.push(putFile(dir, `small/d${i % 50}/f${i}.bin`, randomBytes(100 + (i * 37) % 4000), i % 3 === 0 ? 0o755 : 0o644, 1_700_000_000_000 + i * 1000));
    if (batch.length === 200) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
}

/** Every synced entry under `dir`: path -> what a comparison needs (content digest, mode, mtime, link target). */
export async function describeTree(dir: string, skip = (name: string) => name === '.meridian-sync'): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const { createHash } = await import('node:crypto');
  const visit = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      if (skip(name)) continue;
      const path = rel === '' ? name : `${rel}/${name}`;
      const info = await lstat(join(dir, path));
      if (info.isDirectory()) await visit(path);
      else if (info.isSymbolicLink()) out.set(path, `link ${await readlink(join(dir, path))}`);
      else {
        const digest = createHash('sha256').update(await readFile(join(dir, path))).digest('hex');
        out.set(path, `${digest} ${(info.mode & 0o7777).toString(8)} ${Math.round(info.mtimeMs)} ${info.size}`);
      }
    }
  };
  await visit('');
  return out;
}
