import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where a running agent tells client commands how to reach it, relative to its working directory. */
export const AGENT_FILE = join('.meridian', 'agent.json');

/** Contents of `.meridian/agent.json`. */
export interface AgentFile {
  /** Format version. */
  version: 1;
  /** Base URL of the admin API. */
  url: string;
  /** Loopback address it listens on. */
  host: string;
  /** Port it listens on. */
  port: number;
  /** The agent's process id. */
  pid: number;
  /** The admin bearer token (the file is mode 0600). */
  token: string;
  /** When it started, ISO 8601. */
  startedAt: string;
  /** The config file it runs. */
  config: string;
}

/** Writes the file atomically, readable by its owner only (0600, in a 0700 directory). */
export async function writeAgentFile(cwd: string, info: AgentFile): Promise<string> {
  const dir = join(cwd, '.meridian');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(cwd, AGENT_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}

/** The agent file in `cwd`, or undefined when there is none (or it is unreadable). */
export function readAgentFile(cwd: string): AgentFile | undefined {
  const path = join(cwd, AGENT_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as AgentFile;
    return typeof info.url === 'string' && typeof info.token === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the file if it is this agent's (another agent's file is left alone). Synchronous: safe on exit. */
export function removeAgentFile(cwd: string, pid: number): void {
  if (readAgentFile(cwd)?.pid === pid) rmSync(join(cwd, AGENT_FILE), { force: true });
}

/** Whether a process with `pid` exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
