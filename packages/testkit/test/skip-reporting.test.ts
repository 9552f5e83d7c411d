// A suite whose program is missing is skipped, says why and how to enable it at
// the end of the run, and fails CI's summary (scripts/test-summary.mjs): checked
// on a real vitest run of two fixture files, with the repo's reporters.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/skip-report/', import.meta.url));
const SUMMARY = fileURLToPath(new URL('../../../scripts/test-summary.mjs', import.meta.url));
const VITEST = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: FIXTURE, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('skipped suites are reported, and fail CI', () => {
  let dir: string;
  let json: string;
  let vitest: Run;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meridian-skip-report-'));
    json = join(dir, 'vitest.json');
    const env: NodeJS.ProcessEnv = { ...process.env, FIXTURE_JSON: json, NO_COLOR: '1', CI: '', MERIDIAN_NO_SUCH_TOOL: '' };
    delete env['VITEST'];
    delete env['VITEST_WORKER_ID'];
    delete env['VITEST_POOL_ID'];
    vitest = await run([VITEST, 'run', '--config', join(FIXTURE, 'vitest.config.ts')], env);
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('skips the file with the reason printed, passes the run, and ends the output with the list', () => {
    expect(vitest.code, vitest.stdout + vitest.stderr).toBe(0);
    expect(vitest.stderr).toContain('[skipped] meridian-no-such-tool is not installed');
    const tail = vitest.stdout.trimEnd().split('\n').slice(-3);
    expect(tail).toEqual([
      'Skipped suites (1); CI installs what they need and fails on any skip:',
      '  - needs-missing-tool.fixture.ts (2 tests): meridian-no-such-tool is not installed (looked in /usr/bin, PATH; or set MERIDIAN_NO_SUCH_TOOL to its path)',
      '      enable: apt-get install -y meridian-no-such-tool',
    ]);
  });

  it("CI's summary fails on the skipped file and names the command that enables it", async () => {
    const summary = await run([SUMMARY, json], process.env);
    expect(summary.code).toBe(1);
    expect(summary.stdout).toContain('needs-missing-tool.fixture.ts (2 tests): meridian-no-such-tool is not installed');
    expect(summary.stdout).toContain('enable: apt-get install -y meridian-no-such-tool');
    expect(summary.stdout.trimEnd().split('\n').at(-1)).toBe('tests: 1 passed, 0 failed, 2 skipped');
  });
});
