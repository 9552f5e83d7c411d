// The file store's group commit of directory fsyncs: writers asking together share one fsync, and none is told its
// rename is durable by an fsync that began before it asked.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DirectorySync } from '../src/stores/directory-sync.js';

const fsyncs = vi.hoisted(() => ({ started: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    open: async (...args: Parameters<typeof actual.open>) => {
      fsyncs.started++;
      return actual.open(...args);
    },
  };
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  fsyncs.started = 0;
});

function directory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-dirsync-'));
  dirs.push(dir);
  return dir;
}

describe('DirectorySync', () => {
  it('100 writers asking at once share two fsyncs: the one running and the next', async () => {
    const sync = new DirectorySync(directory());
    await Promise.all(Array.from({ length: 100 }, () => sync.sync()));
    expect(fsyncs.started).toBe(2);
  });

  it('a writer asking while an fsync runs waits for one that starts after it asked', async () => {
    const sync = new DirectorySync(directory());
    const order: string[] = [];
    const first = sync.sync().then(() => order.push('first'));
    const second = sync.sync().then(() => order.push('second'));
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    expect(fsyncs.started).toBe(2);
    // Idle again: the next writer starts its own at once.
    await sync.sync();
    expect(fsyncs.started).toBe(3);
  });

  it('a failed fsync rejects every writer waiting on it, and the next one tries again', async () => {
    const dir = join(directory(), 'missing');
    const sync = new DirectorySync(dir);
    const results = await Promise.allSettled([sync.sync(), sync.sync()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    mkdirSync(dir);
    await expect(sync.sync()).resolves.toBeUndefined();
  });
});
