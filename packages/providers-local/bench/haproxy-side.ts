// The HAProxy side of the comparison: Debian's haproxy in front of the same local
// regions, active-passive (the primary as the one normal server, the others as
// backups), with active and passive health checks and retries. HAProxy runs in
// its own process group so that stopping it leaves nothing behind.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '@meridian/testkit';
import { request } from 'undici';
import type { Region } from '@meridian/core';
import type { BenchSide } from './meridian-side.js';

const BINARY = '/usr/sbin/haproxy';
const READY_TIMEOUT_MILLIS = 5_000;

/** An installed haproxy, or why there is none. */
export type HaproxyInstall = { ok: true; binary: string; version: string; retryOn: boolean } | { ok: false; reason: string };

/** HAProxy as started: the side plus the config text it runs with. */
export interface HaproxySide extends BenchSide {
  /** The haproxy.cfg text it runs with. */
  readonly config: string;
  /** Its process id (also its process group id). */
  readonly pid: number | undefined;
}

/**
 * Finds `/usr/sbin/haproxy`; when missing and running as root, installs
 * Debian's package (apt-get). Never throws: a failure is returned as a reason.
 */
export function findOrInstallHaproxy(): HaproxyInstall {
  if (!existsSync(BINARY)) {
    if (process.getuid?.() !== 0) return { ok: false, reason: `${BINARY} is missing and this is not root: run \`apt-get install -y haproxy\`` };
    console.log('haproxy is missing: apt-get update -qq && apt-get install -y -qq haproxy ...');
    const install = spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq haproxy'], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 300_000,
    });
    if (install.error) return { ok: false, reason: `apt-get could not run: ${install.error.message}` };
    if (install.status !== 0 || !existsSync(BINARY)) return { ok: false, reason: `apt-get install haproxy failed (exit ${install.status ?? install.signal})` };
  }
  const v = spawnSync(BINARY, ['-v'], { encoding: 'utf8', timeout: 10_000 });
  const version = /version (\d+)\.\d+\S*/.exec(v.stdout ?? '');
  if (!version) return { ok: false, reason: `could not read the version from \`haproxy -v\`: ${v.stdout}${v.stderr}` };
  // `retry-on` came with HAProxy 2.0.
  const retryOn = Number(version[1]) >= 2;
  return { ok: true, binary: BINARY, version: version[0].replace('version ', ''), retryOn };
}

/** The config: one frontend on `port`, one backend with `primary` as the normal server and the rest as backups, in priority order. */
export function haproxyConfig(port: number, regions: readonly Region[], primary: string, retryOn: boolean): string {
  const ordered = [...regions].sort((a, b) => a.priority - b.priority);
  const servers = ordered.map((r) => {
    const { hostname, port: regionPort } = new URL(r.endpoint);
    return `    server ${r.id} ${hostname}:${regionPort} check${r.id === primary ? '' : ' backup'}`;
  });
  return [
    'global',
    // One thread, as the Meridian front door is one event loop; the 2 cores are shared with the client and the regions.
    '    nbthread 1',
    '    maxconn 4096',
    '',
    'defaults',
    '    mode http',
    '    option http-keep-alive',
    '    timeout connect 1s',
    '    timeout client 30s',
    '    timeout server 30s',
    '    timeout http-request 10s',
    '    timeout http-keep-alive 10s',
    // The same probe timeout as the HealthMonitor's timeoutMillis.
    '    timeout check 500ms',
    '    retries 3',
    '    option redispatch',
    ...(retryOn ? ['    retry-on all-retryable-errors'] : []),
    '',
    'frontend front_door',
    `    bind 127.0.0.1:${port}`,
    '    default_backend regions',
    '',
    'backend regions',
    '    option httpchk GET /health',
    '    default-server inter 1s fall 3 rise 2 observe layer7 error-limit 3 on-error mark-down',
    ...servers,
    '',
  ].join('\n');
}

/**
 * Starts haproxy in the foreground (`-db`) in a process group of its own on a free
 * loopback port, and resolves once a request through it is answered by `primary`.
 */
export async function startHaproxySide(install: Extract<HaproxyInstall, { ok: true }>, regions: readonly Region[], primary: string): Promise<HaproxySide> {
  const dir = await mkdtemp(join(tmpdir(), 'meridian-haproxy-'));
  for (let attempt = 1; ; attempt++) {
    const port = await getFreePort();
    const config = haproxyConfig(port, regions, primary, install.retryOn);
    const path = join(dir, 'haproxy.cfg');
    await writeFile(path, config);
    try {
      const side = await launch(install.binary, path, port, primary, async () => rm(dir, { recursive: true, force: true }));
      return { ...side, config };
    } catch (error) {
      // Another process may bind the free port before haproxy does.
      if (attempt < 3 && /cannot bind socket/i.test((error as Error).message)) continue;
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }
}

async function launch(binary: string, configPath: string, port: number, primary: string, cleanup: () => Promise<void>): Promise<BenchSide & { pid: number | undefined }> {
  const proc = spawn(binary, ['-db', '-f', configPath], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pgid = proc.pid;
  let log = '';
  const keep = (chunk: Buffer): void => void (log = (log + chunk.toString('utf8')).slice(-4000));
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (pgid === undefined) return;
    try {
      process.kill(-pgid, signal);
    } catch {
      // the group is gone already
    }
  };
  const killOnExit = (): void => signalGroup('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    process.removeListener('exit', killOnExit);
    signalGroup('SIGTERM');
    const timer = setTimeout(() => signalGroup('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
    // Nothing may outlive the bench: whatever is left of the group is killed.
    signalGroup('SIGKILL');
    await cleanup();
  };
  const url = `http://127.0.0.1:${port}`;
  const failed = new Promise<never>((_, reject) => {
    proc.once('error', (error) => reject(new Error(`haproxy could not start: ${error.message}`)));
    void exited.then(() => reject(new Error(`haproxy exited (${proc.signalCode ?? proc.exitCode}) before it was ready on port ${port}:\n${log}`)));
  });
  failed.catch(() => undefined);
  try {
    await Promise.race([untilServedBy(url, primary), failed]);
  } catch (error) {
    await close();
    throw error;
  }
  return { url, close, pid: pgid };
}

async function untilServedBy(url: string, region: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MILLIS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await request(`${url}/`, { signal: AbortSignal.timeout(1_000) });
      await res.body.dump();
      if (res.statusCode === 200 && res.headers['x-meridian-region'] === region) return;
      last = `status ${res.statusCode} from ${String(res.headers['x-meridian-region'])}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`haproxy on ${url} was not served by ${region} within ${READY_TIMEOUT_MILLIS} ms: ${last}`);
}
