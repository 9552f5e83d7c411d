import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireSystemTool, type SystemRequirement } from './system-requirement.js';
import { launchOnFreePort, pollUntilReady, spawnServer, type ServerProcess } from './server-process.js';

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

/** What the Redis suites need: `$REDIS_SERVER`, else `/usr/bin/redis-server`, else `PATH`. */
export function redisServerRequirement(): SystemRequirement {
  return requireSystemTool('redis-server', { envVar: 'REDIS_SERVER', enable: 'apt-get install -y redis-server' });
}

/** Where redis-server is (see {@link redisServerRequirement}); throws saying how to install it. */
export function findRedisServer(): string {
  const requirement = redisServerRequirement();
  if (requirement.path) return requirement.path;
  throw new Error(`${requirement.reason}; run \`${requirement.enable}\` (CI installs it in .ci/run)`);
}

/**
 * Starts `redis-server --save '' --appendonly no` on a free loopback port and
 * resolves once it answers PING (bounded). The process is killed by `stop()`,
 * and by this process's exit if a test forgets, so no server outlives the run.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const binary = findRedisServer();
  let server: ServerProcess | undefined;
  let dir: string | undefined;

  const stop = async (): Promise<void> => {
    await server?.stop();
    server = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  };

  const launch = async (port: number): Promise<void> => {
    dir = await mkdtemp(join(tmpdir(), 'meridian-redis-'));
    const args = ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'];
    try {
      server = await spawnServer({
        name: 'redis-server',
        command: binary,
        args,
        where: `on port ${port}`,
        ready: () => pollUntilReady(() => ping(port), `redis-server on port ${port}`, READY_TIMEOUT_MILLIS),
      });
    } catch (error) {
      await stop();
      throw error;
    }
  };

  // Another process may take the free port before redis binds it: try a few ports.
  const port = await launchOnFreePort(launch, /Address already in use/i);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return server?.pid;
    },
    stop,
    async restart() {
      await stop();
      await launch(port);
    },
  };
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
