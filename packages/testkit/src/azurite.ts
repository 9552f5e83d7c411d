import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { launchOnFreePort, pollUntilReady, spawnServer, type ServerProcess } from './server-process.js';

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
  /** Stops it (if it runs) and starts it again on the same port; data survives only with `persistence: 'disk'`. */
  restart(): Promise<void>;
  /** Stops it and keeps its directory: down until `restart()`, which serves the same data with `persistence: 'disk'`. */
  halt(): Promise<void>;
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
  let server: ServerProcess | undefined;

  const launch = async (port: number): Promise<void> => {
    await mkdir(dir, { recursive: true });
    const args = [main, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--skipApiVersionCheck', '--disableTelemetry', '--silent'];
    args.push(...(persistence === 'memory' ? ['--inMemoryPersistence'] : ['--location', dir]));
    server = await spawnServer({
      name: 'azurite',
      command: process.execPath,
      args,
      // cwd = the temp dir: nothing Azurite writes can land in the repository.
      cwd: dir,
      where: `on port ${port}`,
      ready: () => pollUntilReady(() => answersHttp(port), `azurite on port ${port}`, READY_TIMEOUT_MILLIS, 50),
    });
  };
  const stopServer = async (): Promise<void> => {
    await server?.stop();
    server = undefined;
  };

  let port: number;
  try {
    port = await launchOnFreePort(launch, /EADDRINUSE|address already in use/i);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const blobUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    blobUrl,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${blobUrl};`,
    port,
    get pid() {
      return server?.pid;
    },
    async restart() {
      await stopServer();
      await launch(port);
    },
    async halt() {
      await stopServer();
    },
    async stop() {
      await stopServer();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when the port answers any HTTP response. */
function answersHttp(port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/${AZURITE_ACCOUNT}?comp=list`, timeout: 1000 }, (res) => {
      res.resume();
      resolve();
    });
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', reject);
    req.end();
  });
}
