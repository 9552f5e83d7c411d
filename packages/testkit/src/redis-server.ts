import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { getFreePort } from './port-allocator.js';

/** A real `redis-server` on loopback, without persistence, owned by one test file. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** The TCP port it listens on (the same across `restart()`). */
  readonly port: number;
  /** The server process id, while it runs. */
  readonly pid: number | undefined;
  /** Stops the process (SIGTERM, then SIGKILL after 3 s) and removes its directory. Idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same port (stopping it first if it runs); the data is gone (no persistence). */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MILLIS = 10_000;

/** Where redis-server is: `$REDIS_SERVER`, then `/usr/bin/redis-server`, then `PATH`; throws saying how to install it. */
export function findRedisServer(): string {
  const candidates = [process.env['REDIS_SERVER'], '/usr/bin/redis-server', ...(process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'redis-server'))];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error('redis-server is not installed: run `apt-get install -y redis-server` (CI installs it in .ci/run), or set REDIS_SERVER to its path');
}

/**
 * Starts `redis-server --save '' --appendonly no` on a free loopback port and
 * resolves once it answers PING (bounded). The process is killed by `stop()`,
 * and by this process's exit if a test forgets, so no server outlives the run.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const binary = findRedisServer();
  let port = 0;
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  const killOnExit = (): void => void child?.kill('SIGKILL');

  const stopChild = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    process.removeListener('exit', killOnExit);
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  };

  const launch = async (): Promise<void> => {
    dir = await mkdtemp(join(tmpdir(), 'meridian-redis-'));
    const args = ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'];
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    process.once('exit', killOnExit);
    let log = '';
    const keep = (chunk: Buffer): void => void (log = (log + chunk.toString('utf8')).slice(-4000));
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    const exited = new Promise<never>((_, reject) => {
      proc.once('error', (error) => reject(new Error(`redis-server could not start: ${error.message}`)));
      proc.once('exit', (code, signal) => reject(new Error(`redis-server exited (${signal ?? code}) before it was ready on port ${port}:\n${log}`)));
    });
    exited.catch(() => undefined);
    try {
      await Promise.race([waitForPong(port, READY_TIMEOUT_MILLIS), exited]);
    } catch (error) {
      await stopChild();
      throw error;
    }
  };

  // Another process may take the free port before redis binds it: try a few ports.
  for (let attempt = 1; ; attempt++) {
    port = await getFreePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 3 || !/Address already in use/i.test(String((error as Error).message))) throw error;
    }
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid;
    },
    stop: stopChild,
    async restart() {
      await stopChild();
      await launch();
    },
  };
}

/** Resolves once `PING` on the port answers `+PONG`; retries connection refusals until the deadline. */
async function waitForPong(port: number, timeoutMillis: number): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      await ping(port);
      return;
    } catch (error) {
      last = (error as Error).message;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  throw new Error(`redis-server on port ${port} was not ready within ${timeoutMillis} ms: ${last}`);
}

function ping(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (error?: Error): void => {
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    socket.setTimeout(1000, () => done(new Error('PING timed out')));
    socket.once('error', done);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') ? undefined : new Error(`PING answered ${JSON.stringify(reply.trim())}`));
    });
  });
}
