import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { getFreePort } from './port-allocator.js';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const READY_TIMEOUT_MILLIS = 15_000;

/** Options of {@link startAzurite}. */
export interface AzuriteOptions {
  /** `memory` (default): `--inMemoryPersistence`, data gone on restart. `disk`: a temp `--location`, data kept across `restart()`. */
  persistence?: 'memory' | 'disk';
  /** Where to resolve the `azurite` package from (a file URL or path of the calling test). Default the working directory. */
  resolveFrom?: string;
}

/** An Azurite Blob service on loopback, owned by one test file. */
export interface Azurite {
  /** `http://127.0.0.1:<port>/devstoreaccount1`. */
  readonly blobUrl: string;
  /** Connection string for the well-known dev account. */
  readonly connectionString: string;
  /** The port (the same across `restart()`). */
  readonly port: number;
  /** The process id while it runs. */
  readonly pid: number | undefined;
  /** Stops it and starts it again on the same port; data survives only with `persistence: 'disk'`. */
  restart(): Promise<void>;
  /** Stops it (SIGTERM, SIGKILL after 3 s) and removes its directory (a later `restart()` starts empty). Idempotent. */
  stop(): Promise<void>;
}

/** Path of Azurite's blob entry point, resolved from `from`; throws saying how to install it. */
export function findAzuriteBlob(from: string = join(process.cwd(), 'package.json')): string {
  try {
    const pkg = createRequire(from).resolve('azurite/package.json');
    return join(dirname(pkg), 'dist', 'src', 'blob', 'main.js');
  } catch {
    throw new Error(`azurite is not installed where ${from} can see it: add it as a devDependency ("azurite": "~3.35.0") and run pnpm install`);
  }
}

/**
 * Starts Azurite's Blob service (`--skipApiVersionCheck --disableTelemetry`) on
 * a free loopback port and resolves once it answers HTTP (bounded). The
 * process is killed by `stop()`, and by this process's exit if a test forgets.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const main = findAzuriteBlob(options.resolveFrom);
  const persistence = options.persistence ?? 'memory';
  const dir = await mkdtemp(join(tmpdir(), 'meridian-azurite-'));
  let port = 0;
  let child: ChildProcess | undefined;
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
  };

  const launch = async (): Promise<void> => {
    await mkdir(dir, { recursive: true });
    const args = [main, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--skipApiVersionCheck', '--disableTelemetry', '--silent'];
    args.push(...(persistence === 'memory' ? ['--inMemoryPersistence'] : ['--location', dir]));
    // cwd = the temp dir: nothing Azurite writes can land in the repository.
    const proc = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    process.once('exit', killOnExit);
    let log = '';
    const keep = (chunk: Buffer): void => void (log = (log + chunk.toString('utf8')).slice(-4000));
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    const exited = new Promise<never>((_, reject) => {
      proc.once('error', (error) => reject(new Error(`azurite could not start: ${error.message}`)));
      proc.once('exit', (code, signal) => reject(new Error(`azurite exited (${signal ?? code}) before it was ready on port ${port}:\n${log}`)));
    });
    exited.catch(() => undefined);
    try {
      await Promise.race([waitForHttp(port, READY_TIMEOUT_MILLIS), exited]);
    } catch (error) {
      await stopChild();
      throw error;
    }
  };

  for (let attempt = 1; ; attempt++) {
    port = await getFreePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE|address already in use/i.test(String((error as Error).message))) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  const blobUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    blobUrl,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobUrl};`,
    port,
    get pid() {
      return child?.pid;
    },
    async restart() {
      await stopChild();
      await launch();
    },
    async stop() {
      await stopChild();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once the port answers any HTTP response; retries refusals until the deadline. */
async function waitForHttp(port: number, timeoutMillis: number): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: `/${AZURITE_ACCOUNT}?comp=list`, timeout: 1000 }, (res) => {
          res.resume();
          resolve();
        });
        req.once('timeout', () => req.destroy(new Error('timed out')));
        req.once('error', reject);
        req.end();
      });
      return;
    } catch (error) {
      last = (error as Error).message;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`azurite on port ${port} was not ready within ${timeoutMillis} ms: ${last}`);
}
