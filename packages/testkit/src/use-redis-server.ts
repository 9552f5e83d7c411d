import { afterAll, beforeAll, expect } from 'vitest';
import { findLeakedProcesses } from './process-leak.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

/**
 * A real redis-server for the enclosing `describe` block: started in its
 * `beforeAll`, stopped in its `afterAll`, which then asserts that no process
 * it ever ran (the first one and every `restart()`) is still alive.
 *
 * The handle is usable once `beforeAll` has run (inside tests and hooks);
 * reading it earlier throws, naming the mistake. Guard the block with
 * `skipUnless(redisServerRequirement())` so a machine without redis-server
 * skips it with the reason printed.
 */
export function useRedisServer(): RedisServer {
  let server: RedisServer | undefined;
  const pids: number[] = [];
  const current = (): RedisServer => {
    if (!server) throw new Error('useRedisServer(): the server is read before its beforeAll ran (use it inside a test or hook)');
    return server;
  };
  const track = (): void => {
    const pid = current().pid;
    if (pid !== undefined && !pids.includes(pid)) pids.push(pid);
  };

  beforeAll(async () => {
    server = await startRedisServer();
    track();
  });
  afterAll(async () => {
    await server?.stop();
    expect(await findLeakedProcesses(pids)).toEqual([]);
  });

  return {
    get url() {
      return current().url;
    },
    get port() {
      return current().port;
    },
    get pid() {
      return current().pid;
    },
    stop: () => current().stop(),
    async restart() {
      await current().restart();
      track();
    },
  };
}
