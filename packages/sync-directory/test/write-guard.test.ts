import { lstat, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
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
