// The built `meridian` binary against a real `meridian agent` subprocess: every CLI
// suite builds it through ensureBuilt(); the provider-kind suites (kind-kubernetes,
// kind-azure) also run commands, parse --json and start and stop agents through it.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

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
