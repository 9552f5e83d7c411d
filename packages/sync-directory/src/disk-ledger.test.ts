import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskLedger } from './disk-ledger.js';
import type { FileStat } from './disk-protocol.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const dir = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), 'meridian-ledger-'));
  dirs.push(d);
  return d;
};
const stat = (ino: number): FileStat => ({ size: 10, mtimeMs: 1_700_000_000_000, ctimeMs: 1_700_000_000_500, ino, dev: 42, mode: 0o644, kind: 'file' });

describe('DiskLedger', () => {
  it('keeps what was seen at each path across a reopen, forgetting what was forgotten', async () => {
    const d = await dir();
    const first = await DiskLedger.open(d, { durable: false });
    first.set('a.txt', 'v1', stat(1));
    first.set('b.txt', 'v1', stat(2));
    await first.flush();
    first.set('a.txt', 'v2', stat(3));
    first.forget('b.txt');
    await first.close();
    const second = await DiskLedger.open(d, { durable: true });
    expect(second.get('a.txt')).toEqual({ version: 'v2', stat: { size: 10, mtimeMs: 1_700_000_000_000, ctimeMs: 1_700_000_000_500, ino: 3, dev: 42 } });
    expect(second.get('b.txt')).toBeUndefined();
    await second.close();
  });

  it('drops a torn last line (a crash mid-append) and refuses a damaged line before it, naming the line', async () => {
    const d = await dir();
    const ledger = await DiskLedger.open(d, { durable: false });
    ledger.set('a.txt', 'v1', stat(1));
    await ledger.close();
    await writeFile(join(d, 'disk.jsonl'), '["b.txt","v1",1,2', { flag: 'a' });
    const reopened = await DiskLedger.open(d, { durable: false });
    expect(reopened.get('a.txt')?.version).toBe('v1');
    expect(reopened.get('b.txt')).toBeUndefined();
    await reopened.close();
    await writeFile(join(d, 'disk.jsonl'), '["a.txt","v1",1,2,3,4,5]\n{"not":"a line"}\n["c.txt"]\n');
    await expect(DiskLedger.open(d, { durable: false })).rejects.toMatchObject({ code: 'SYNC_PROTOCOL_ERROR', message: expect.stringContaining('line 2 is damaged') });
  });

  it('rewrites the file once it is mostly superseded lines', async () => {
    const d = await dir();
    const ledger = await DiskLedger.open(d, { durable: false });
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 4_000; i++) ledger.set(`f${i}`, `v${round}`, stat(i));
      await ledger.flush();
    }
    await ledger.close();
    // 20 000 lines for 4 000 paths passed 2 × 4 000 + 10 000: compacted to the 4 000 current ones.
    const lines = (await readFile(join(d, 'disk.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(4_000);
    const reopened = await DiskLedger.open(d, { durable: false });
    expect(reopened.get('f3999')?.version).toBe('v4');
    await reopened.close();
  });
});
