// Directory sync from the config: regions[].dataPath (relative to the config file) and sync.directory.ignore,
// started as the agent starts it, against real directories.
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncUntilSettled } from '@meridian/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startDirectorySync, type DirectorySync } from '../src/agent/directory-sync.js';
import { loadConfig } from '../src/config/load-config.js';
import { CliError, EXIT } from '../src/exit-codes.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function project(regions: Array<{ id: string; dataPath?: string }>, extra = ''): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'meridian-cli-dirsync-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const lines = regions.map((r, i) => `  - id: ${r.id}\n    location: { lat: ${10 + i}, lon: ${20 + i} }${r.dataPath ? `\n    dataPath: ${r.dataPath}` : ''}`);
  await writeFile(join(dir, 'meridian.config.yaml'), `app:\n  name: shop\nprovider:\n  kind: local\nregions:\n${lines.join('\n')}\n${extra}`);
  return dir;
}

async function start(dir: string): Promise<DirectorySync | undefined> {
  const loaded = await loadConfig({ cwd: dir });
  const started = await startDirectorySync(loaded, () => undefined);
  if (started) cleanups.push(() => started.stop());
  return started;
}

/** Runs rounds of scans and sync until one in which every pair ran and moved nothing. Bounded. */
async function settle(d: DirectorySync): Promise<void> {
  await syncUntilSettled(d.sync, {
    beforeRound: async () => {
      for (const s of d.stores.values()) await s.rescan();
    },
    describe: () => [...d.stores].flatMap(([id, s]) => s.waiting().map((w) => `${id} ${w.path}: ${w.reason}`)),
  });
}

describe('directory sync from the config', () => {
  it('syncs the regions\' data paths, relative to the config file, minus the ignored paths', async () => {
    const dir = await project([{ id: 'us-east', dataPath: 'data/us' }, { id: 'eu-west', dataPath: 'data/eu' }, { id: 'ap-south' }], 'sync:\n  directory:\n    ignore: ["*.tmp"]\n');
    await mkdir(join(dir, 'data/us/reports'), { recursive: true });
    await mkdir(join(dir, 'data/eu'), { recursive: true });
    await writeFile(join(dir, 'data/us/reports/q1.csv'), 'a,b\n1,2\n');
    await writeFile(join(dir, 'data/us/scratch.tmp'), 'not synced');
    const d = (await start(dir))!;
    expect([...d.stores.keys()]).toEqual(['us-east', 'eu-west']);
    await settle(d);
    expect(await readFile(join(dir, 'data/eu/reports/q1.csv'), 'utf8')).toBe('a,b\n1,2\n');
    await expect(readFile(join(dir, 'data/eu/scratch.tmp'))).rejects.toThrow(/ENOENT/);
  });

  it('does nothing when no region has a data path', async () => {
    expect(await start(await project([{ id: 'us-east' }, { id: 'eu-west' }]))).toBeUndefined();
  });

  it('refuses a data path that does not exist, or two regions on one directory, naming the config line (exit 2)', async () => {
    const missing = await project([{ id: 'us-east', dataPath: 'nope' }, { id: 'eu-west', dataPath: 'eu' }]);
    await mkdir(join(missing, 'eu'));
    const error = await start(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.USAGE);
    expect((error as CliError).message).toMatch(/meridian\.config\.yaml:\d+:\d+: regions\[0\]\.dataPath: data path of region us-east does not exist/);

    const shared = await project([{ id: 'us-east', dataPath: 'one' }, { id: 'eu-west', dataPath: 'alias' }]);
    await mkdir(join(shared, 'one'));
    await symlink(join(shared, 'one'), join(shared, 'alias'));
    const same = await start(shared).catch((e: unknown) => e);
    expect((same as CliError).exitCode).toBe(EXIT.USAGE);
    expect((same as CliError).message).toMatch(/regions us-east and eu-west have the same data path/);
  });

  it('refuses a symbolic link loop in a data path, naming the region\'s config line', async () => {
    const dir = await project([{ id: 'us-east', dataPath: 'us' }, { id: 'eu-west', dataPath: 'eu' }]);
    await mkdir(join(dir, 'us'));
    await mkdir(join(dir, 'eu'));
    await symlink('b', join(dir, 'eu', 'a'));
    await symlink('a', join(dir, 'eu', 'b'));
    const error = await start(dir).catch((e: unknown) => e);
    expect((error as CliError).exitCode).toBe(EXIT.USAGE);
    expect((error as CliError).message).toMatch(/regions\[1\]\.dataPath: symbolic link loop at .*eu\/a/);
  });

  it('refuses a data path in one region only', async () => {
    const dir = await project([{ id: 'us-east', dataPath: 'a' }, { id: 'eu-west' }]);
    const error = await loadConfig({ cwd: dir }).catch((e: unknown) => e);
    expect((error as CliError).exitCode).toBe(EXIT.USAGE);
    expect((error as CliError).message).toMatch(/regions\[0\]\.dataPath: directory sync needs a dataPath in at least two regions/);
  });
});
