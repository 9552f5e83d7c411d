import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from './chunk-entry.js';
import { ChunkLocator } from './chunk-locator.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function locatorWithCopy() {
  const root = await mkdtemp(join(tmpdir(), 'meridian-locator-'));
  dirs.push(root);
  const locator = new ChunkLocator(root, join(root, '.packs'), false);
  await locator.load();
  const first = randomBytes(5_000);
  const second = randomBytes(7_000);
  const copy = 'z.bin.conflict-a-20261207T040548574Z';
  await writeFile(join(root, copy), Buffer.concat([first, second]));
  const chunks = [
    { hash: sha256Hex(first), size: first.length },
    { hash: sha256Hex(second), size: second.length },
  ];
  locator.indexCopy(copy, chunks);
  return { root, locator, copy, chunks, second };
}

describe('ChunkLocator and conflict copies', () => {
  it('reads a chunk from a conflict copy at its offset, checked against the hash, and counts it as here', async () => {
    const { root, locator, copy, chunks, second } = await locatorWithCopy();
    expect(locator.has(chunks[1]!.hash)).toBe(true);
    expect(locator.inFile(chunks[1]!.hash)).toBe(false); // staged bytes are never dropped because a copy holds them
    expect(locator.onlyIn(chunks[1]!.hash, new Set(['other']))).toBe(false);
    expect(locator.locations(chunks[1]!.hash)).toEqual([[join(root, copy), 5_000]]);
    expect(locator.read(chunks[1]!.hash)?.equals(second)).toBe(true);
    // The user edits the copy: its bytes no longer pass for the chunk.
    await writeFile(join(root, copy), randomBytes(12_000));
    expect(locator.read(chunks[1]!.hash)).toBeUndefined();
  });

  it('forgets a copy for a chunk only when a failed read looked there', async () => {
    const { root, locator, copy, chunks } = await locatorWithCopy();
    locator.forgetCopies(chunks[0]!.hash, [[join(root, 'elsewhere.bin'), 0]]); // a read that never looked at the copy
    expect(locator.has(chunks[0]!.hash)).toBe(true);
    locator.forgetCopies(chunks[0]!.hash, locator.locations(chunks[0]!.hash));
    expect(locator.has(chunks[0]!.hash)).toBe(false);
    expect(locator.locations(chunks[0]!.hash)).toEqual([]);
    expect(locator.has(chunks[1]!.hash)).toBe(true); // the copy's other chunk is still read from it
    expect(locator.locations(chunks[1]!.hash)).toEqual([[join(root, copy), 5_000]]);
  });
});
