import { spawn, type ChildProcess } from 'node:child_process';
import { getFreePort } from './port-allocator.js';

/** A server process a test started: stopped by `stop()`, or killed when this process exits. */
export interface ServerProcess {
  /** Its process id while it runs. */
  readonly pid: number | undefined;
  /** SIGTERM, then SIGKILL after 3 s; resolves once it is gone. Idempotent. */
  stop(): Promise<void>;
}

/** How to start one server process. */
export interface ServerProcessSpec {
  /** Name for messages (`redis-server`, `azurite`). */
  name: string;
  command: string;
  args: string[];
  /** Working directory. */
  cwd?: string;
  /** Where it should be ready, for messages (`on port 6380`). */
  where: string;
  /** Resolves once the server answers; rejects when it never does (bounded by the caller). */
  ready(): Promise<void>;
}

/**
 * Spawns a server and resolves once `ready()` does. If it exits first, rejects
 * with the tail of its output; if it never gets ready, it is stopped and the
 * readiness error rethrown. A forgotten server is killed at this process's exit.
 */
export async function spawnServer(spec: ServerProcessSpec): Promise<ServerProcess> {
  const proc: ChildProcess = spawn(spec.command, spec.args, { cwd: spec.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = (): void => void proc.kill('SIGKILL');
  process.once('exit', killOnExit);
  let log = '';
  const keep = (chunk: Buffer): void => void (log = (log + chunk.toString('utf8')).slice(-4000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  let stopped = false;
  const server: ServerProcess = {
    get pid() {
      return stopped ? undefined : proc.pid;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', killOnExit);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    },
  };
  const exited = new Promise<never>((_, reject) => {
    proc.once('error', (error) => reject(new Error(`${spec.name} could not start: ${error.message}`)));
    proc.once('exit', (code, signal) => reject(new Error(`${spec.name} exited (${signal ?? code}) before it was ready ${spec.where}:\n${log}`)));
  });
  exited.catch(() => undefined);
  try {
    await Promise.race([spec.ready(), exited]);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/**
 * Runs `launch` on a free port, trying another (up to `attempts`) when the
 * error says the port was taken meanwhile: another process may bind a free
 * port between the check and the server's own bind. Returns the port used.
 */
export async function launchOnFreePort(launch: (port: number) => Promise<void>, portTaken: RegExp, attempts = 3): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await getFreePort();
    try {
      await launch(port);
      return port;
    } catch (error) {
      if (attempt >= attempts || !portTaken.test(String((error as Error).message))) throw error;
    }
  }
}

/** Retries `probe` every `intervalMillis` until it resolves; after `timeoutMillis`, throws naming `what` and the last error. */
export async function pollUntilReady(probe: () => Promise<void>, what: string, timeoutMillis: number, intervalMillis = 25): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      await probe();
      return;
    } catch (error) {
      last = (error as Error).message;
      await new Promise((resolve) => setTimeout(resolve, intervalMillis));
    }
  }
  throw new Error(`${what} was not ready within ${timeoutMillis} ms: ${last}`);
}
