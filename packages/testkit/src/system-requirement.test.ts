import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { firstUnmet, requireSystemTool, skipUnless, systemRequirement } from './system-requirement.js';

describe('requireSystemTool', () => {
  let dir: string;
  let other: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meridian-tool-'));
    other = join(dir, 'other');
    await mkdir(other);
    await writeFile(join(dir, 'runnable'), '#!/bin/sh\n');
    await chmod(join(dir, 'runnable'), 0o755);
    await writeFile(join(dir, 'not-executable'), '');
    await mkdir(join(dir, 'a-directory'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds a program in the given directories', () => {
    const found = requireSystemTool('runnable', { dirs: [other, dir], searchPath: false, enable: 'apt-get install -y runnable' });
    expect(found).toMatchObject({ name: 'runnable', ok: true, reason: undefined, path: join(dir, 'runnable') });
  });

  it('finds a program on PATH', () => {
    vi.stubEnv('PATH', `${other}:${dir}`);
    try {
      expect(requireSystemTool('runnable', { dirs: [], enable: 'x' }).path).toBe(join(dir, 'runnable'));
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('does not take a file that is not executable, or a directory', () => {
    for (const name of ['not-executable', 'a-directory']) {
      const missing = requireSystemTool(name, { dirs: [dir], searchPath: false, enable: `apt-get install -y ${name}` });
      expect(missing).toMatchObject({ ok: false, path: undefined, enable: `apt-get install -y ${name}` });
      expect(missing.reason).toBe(`${name} is not installed (looked in ${dir})`);
    }
  });

  it('looks only at the environment variable when it is set, and says so when it is wrong', () => {
    vi.stubEnv('RUNNABLE_PATH', join(other, 'runnable'));
    try {
      const wrong = requireSystemTool('runnable', { envVar: 'RUNNABLE_PATH', dirs: [dir], enable: 'x' });
      expect(wrong.ok).toBe(false);
      expect(wrong.reason).toBe(`runnable is not an executable file at $RUNNABLE_PATH (${join(other, 'runnable')})`);
      vi.stubEnv('RUNNABLE_PATH', join(dir, 'runnable'));
      expect(requireSystemTool('runnable', { envVar: 'RUNNABLE_PATH', dirs: [other], enable: 'x' }).path).toBe(join(dir, 'runnable'));
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('skipUnless', () => {
  const met = systemRequirement('root', true, 'needs root', 'run as root');
  const unmet = systemRequirement('nft', false, 'nft is not installed', 'apt-get install -y nftables');

  it('runs a suite whose requirements are met, silently', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(skipUnless(met)).toEqual({ skip: false });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('skips one with an unmet requirement, prints why and how to enable it, and records both in meta', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(skipUnless(met, unmet)).toEqual({
        skip: true,
        meta: { skippedFor: { requirement: 'nft', reason: 'nft is not installed', enable: 'apt-get install -y nftables' } },
      });
      expect(warn).toHaveBeenCalledWith('[skipped] nft is not installed; to run these tests: apt-get install -y nftables');
    } finally {
      warn.mockRestore();
    }
  });

  it('firstUnmet picks the first requirement that is not met', () => {
    expect(firstUnmet(met, unmet, systemRequirement('ip', false, 'no ip', 'apt-get install -y iproute2'))).toBe(unmet);
    expect(firstUnmet(met).ok).toBe(true);
  });
});
