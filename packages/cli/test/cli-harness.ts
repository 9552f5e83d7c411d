// The built `meridian` binary against a real `meridian agent` subprocess: every CLI
// suite builds it through ensureBuilt(); the provider-kind suites (kind-kubernetes,
// kind-azure) also run commands, parse --json and start and stop agents through it.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLeakedProcesses } from '@meridian/testkit';
import { request } from 'undici';
import { afterAll, beforeAll, expect } from 'vitest';

export const repo = fileURLToPath(new URL('../../..', import.meta.url));
export const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
// No colours, and none of the caller's agent or cloud settings.
const { MERIDIAN_ADMIN_TOKEN: _t, MERIDIAN_AGENT_URL: _u, KUBECONFIG: _k, AZURE_STORAGE_CONNECTION_STRING: _s, ...cleanEnv } = process.env;
export const baseEnv: NodeJS.ProcessEnv = { ...cleanEnv, NO_COLOR: '1' };

/** What one command did. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function newestSource(path: string): number {
  return readdirSync(path, { withFileTypes: true }).reduce((newest, entry) => {
    const full = join(path, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }, 0);
}

/** Builds the CLI (and what it needs) when the binary is missing or older than its sources. */
export function ensureBuilt(): void {
  const deps = ['core', 'providers-local', 'providers-k8s', 'providers-azure', 'session-migration', 'georouter'].map((p) => join(repo, 'packages', p, 'dist', 'index.js'));
  if (!existsSync(cli) || deps.some((d) => !existsSync(d))) {
    execFileSync('npx', ['--yes', 'pnpm@10.34.9', '--filter', '@meridian/cli...', 'run', 'build'], { cwd: repo, stdio: 'ignore' });
  } else if (newestSource(join(repo, 'packages', 'cli', 'src')) > statSync(cli).mtimeMs) {
    execFileSync(join(repo, 'node_modules', '.bin', 'tsup'), [], { cwd: join(repo, 'packages', 'cli'), stdio: 'ignore' });
  }
}

/** Runs `meridian ...args` in `cwd` with `env` added to the clean environment. */
export function meridian(cwd: string, env: NodeJS.ProcessEnv, args: string[], timeoutMillis = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd, env: { ...baseEnv, ...env }, timeout: timeoutMillis }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs a command that must succeed and returns its parsed `--json` output. */
export async function meridianJson<T = any>(cwd: string, env: NodeJS.ProcessEnv, args: string[]): Promise<T> {
  const run = await meridian(cwd, env, [...args, '--json']);
  expect(run.code, `meridian ${args.join(' ')} failed (${run.code}):\n${run.stderr}`).toBe(0);
  return JSON.parse(run.stdout) as T;
}

/** A running `meridian agent`. */
export interface AgentProcess {
  readonly child: ChildProcess;
  /** Everything it logged so far. */
  log(): string;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

/** Starts `meridian agent` in `cwd` and resolves once it logs ready (rejects with its log if it exits first). */
export async function startAgent(cwd: string, env: NodeJS.ProcessEnv, timeoutMillis = 90_000): Promise<AgentProcess> {
  const child = spawn(process.execPath, [cli, 'agent'], { cwd, env: { ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent not ready within ${timeoutMillis} ms:\n${log}`)), timeoutMillis);
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes(' ready in ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited ${code} before it was ready:\n${log}`));
    });
  });
  return {
    child,
    log: () => log,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** What one suite's agent gives its tests (set once its `beforeAll` has run). */
export interface SuiteAgent {
  /** The temp directory holding the config (the agent's working directory). */
  readonly dir: string;
  readonly agent: AgentProcess;
  /** Region process ids the tests saw: none may outlive the suite. */
  readonly pids: Set<number>;
}

/**
 * A `meridian agent` for one suite: started before its tests in a temp
 * directory with `config`, stopped after them (exit 0), and nothing of it
 * left running (the agent's process, and every region pid the tests added to
 * `pids`). `beforeStop` runs first (a region a test left SIGSTOPped resumes).
 */
export function agentForSuite(prefix: string, config: string, beforeStop?: () => void): SuiteAgent {
  let dir = '';
  let agent: AgentProcess | undefined;
  const pids = new Set<number>();
  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), prefix));
    writeFileSync(join(dir, 'meridian.config.yaml'), config);
    agent = await startAgent(dir, {});
  }, 120_000);
  afterAll(async () => {
    beforeStop?.();
    if (agent) expect(await agent.stop()).toBe(0);
    expect(await findLeakedProcesses([...(agent?.child.pid ? [agent.child.pid] : []), ...pids])).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
  return {
    get dir() {
      return dir;
    },
    get agent() {
      return agent!;
    },
    pids,
  };
}

/** Each region's endpoint, from `status --json`. */
export const endpointsOf = (s: any): Record<string, string> => Object.fromEntries(s.regions.map((r: any) => [r.id, r.deploy.endpoint]));

/** The sessions a region process holds, asked of the process itself (not the agent). */
export async function sessionsHeld(endpoint: string): Promise<Array<{ key: string; status: string }>> {
  const res = await request(`${endpoint}/sessions`);
  return ((await res.body.json()) as { items: Array<{ key: string; status: string }> }).items;
}

/** Traffic weights from `status --json`. */
export const weightsOf = (s: any): Record<string, number> => Object.fromEntries(s.regions.map((r: any) => [r.id, r.weight]));

/** Polls (bounded) until `check` holds: waiting for the agent, never a timed assertion. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, attempts = 200): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never happened: ${what}`);
}

/** Three local regions (Virginia, Dublin, Singapore), as the config's `regions:` block. */
export const THREE_REGIONS = `regions:
  - id: us-east
    location: { lat: 37.5, lon: -77.5 }
  - id: eu-west
    location: { lat: 53.3, lon: -6.2 }
  - id: ap-south
    location: { lat: 1.3, lon: 103.8 }
`;
