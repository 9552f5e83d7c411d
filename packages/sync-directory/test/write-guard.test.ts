import { lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentChunker } from '../src/content-chunker.js';
import { TEMP_MARK, type FileStat, type WriteItem } from '../src/disk-protocol.js';
import { DiskWorker } from '../src/disk-worker.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ root: string; worker: DiskWorker; statOf: (name: string) => Promise<FileStat> }> {
  const root = await mkdtemp(join(tmpdir(), 'meridian-write-guard-'));
  const worker = new DiskWorker(new ContentChunker({ minBytes: 4096, avgBytes: 16_384, maxBytes: 65_536 }).params, TEMP_MARK, 'b');
  cleanups.push(async () => {
    await worker.close();
    await rm(root, { recursive: true, force: true });
  });
  const statOf = async (name: string): Promise<FileStat> => {
    const s = await lstat(join(root, name));
    return { size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino, dev: s.dev, mode: s.mode, kind: 'file' };
  };
  return { root, worker, statOf };
}

const received = (relative: string, expect: FileStat | null): WriteItem => ({ relative, kind: 'file', mtimeMs: 1_700_000_000_000, mode: 0o644, data: Buffer.from('received version'), expect });
const batch = (root: string) => ({ root, durable: false, region: 'b' });

describe('a received version never replaces a local edit made after its write was planned', () => {
  it('writes over the file the plan saw, or where there was nothing; leaves a file edited or created since, and no temp file', async () => {
    const { root, worker, statOf } = await setup();
    await writeFile(join(root, 'seen.txt'), 'as the store saw it');
    await writeFile(join(root, 'edited.txt'), 'as the store saw it');
    const seen = await statOf('seen.txt');
    const planned = await statOf('edited.txt');
    await writeFile(join(root, 'edited.txt'), 'a local edit, after the plan'); // between the plan and the rename
    await writeFile(join(root, 'appeared.txt'), 'created here after the plan'); // the plan saw nothing there
    const results = await worker.write([received('seen.txt', seen), received('edited.txt', planned), received('appeared.txt', null), received('new.txt', null)], batch(root));
    expect(results.map((r) => Object.keys(r)[0])).toEqual(['stat', 'changed', 'changed', 'stat']);
    expect(await readFile(join(root, 'seen.txt'), 'utf8')).toBe('received version');
    expect(await readFile(join(root, 'edited.txt'), 'utf8')).toBe('a local edit, after the plan');
    expect(await readFile(join(root, 'appeared.txt'), 'utf8')).toBe('created here after the plan');
    expect(await readFile(join(root, 'new.txt'), 'utf8')).toBe('received version');
    expect((await readdir(root)).filter((n) => n.includes(TEMP_MARK))).toEqual([]);
  });

  it('writes where the file the plan saw was deleted since (nothing of a local edit to keep there)', async () => {
    const { root, worker, statOf } = await setup();
    await writeFile(join(root, 'gone.txt'), 'as the store saw it');
    const planned = await statOf('gone.txt');
    await rm(join(root, 'gone.txt'));
    const [result] = await worker.write([received('gone.txt', planned)], batch(root));
    expect(result).toHaveProperty('stat');
    expect(await readFile(join(root, 'gone.txt'), 'utf8')).toBe('received version');
  });
});

describe('a received delete never removes a local edit made after it was planned', () => {
  const removal = (relative: string, expect: FileStat): WriteItem => ({ relative, kind: 'remove', mtimeMs: 0, expect });

  it('removes the file the plan saw; leaves a file edited or replaced since; a file already gone is removed; nothing is created', async () => {
    const { root, worker, statOf } = await setup();
    for (const name of ['seen.txt', 'edited.txt', 'replaced.txt', 'gone.txt']) await writeFile(join(root, name), 'as the store saw it');
    const [seen, edited, replaced, gone] = await Promise.all(['seen.txt', 'edited.txt', 'replaced.txt', 'gone.txt'].map(statOf));
    await writeFile(join(root, 'edited.txt'), 'a local edit, after the plan');
    await rm(join(root, 'replaced.txt'));
    await writeFile(join(root, 'replaced.txt'), 'as the store saw it'); // same bytes, another inode: still a local change
    await rm(join(root, 'gone.txt'));
    const results = await worker.write([removal('seen.txt', seen!), removal('edited.txt', edited!), removal('replaced.txt', replaced!), removal('gone.txt', gone!), removal('sub/never.txt', seen!)], batch(root));
    expect(results.map((r) => Object.keys(r)[0])).toEqual(['removed', 'changed', 'changed', 'removed', 'removed']);
    expect((await readdir(root)).sort()).toEqual(['edited.txt', 'replaced.txt']);
    expect(await readFile(join(root, 'edited.txt'), 'utf8')).toBe('a local edit, after the plan');
  });

  it('leaves a directory made where the file was', async () => {
    const { root, worker, statOf } = await setup();
    await writeFile(join(root, 'x'), 'a file');
    const planned = await statOf('x');
    await rm(join(root, 'x'));
    await mkdir(join(root, 'x'));
    const [result] = await worker.write([removal('x', planned)], batch(root));
    expect(result).toEqual({ changed: true });
    expect((await lstat(join(root, 'x'))).isDirectory()).toBe(true);
  });
});
