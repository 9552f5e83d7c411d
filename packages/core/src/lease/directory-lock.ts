import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MeridianError } from '../errors/meridian-error.js';

/**
 * Makes this process the only user of a store's directory: a lock file (`.lock`
 * unless `file` names another, inside `directory`) holding the pid, created
 * exclusively (O_EXCL); one left by a process that died is taken over.
 * `STORE_UNAVAILABLE` (the message starting with `what`) when a live process,
 * or this one, holds it, or the file cannot be created. The pid is the whole
 * test, so a directory on a filesystem shared between machines needs an
 * external lock. Resolves to the release function.
 */
export async function lockDirectory(directory: string, what: string, options: { file?: string } = {}): Promise<() => Promise<void>> {
  const file = join(directory, options.file ?? '.lock');
  const release = (): Promise<void> => rm(file, { force: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unavailable(`${what}: could not lock ${directory}: ${(error as Error).message}`, directory, undefined, error);
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (holder === process.pid) throw unavailable(`${what}: ${directory} is already open in this process; share one store object`, directory, holder);
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) throw unavailable(`${what}: ${directory} is in use by process ${holder}`, directory, holder);
      await rm(file, { force: true }); // left by a process that died
    }
  }
  throw unavailable(`${what}: could not lock ${directory}`, directory);
}

function unavailable(message: string, directory: string, pid?: number, cause?: unknown): MeridianError {
  return new MeridianError('STORE_UNAVAILABLE', message, { ...(cause === undefined ? {} : { cause }), details: { directory, ...(pid === undefined ? {} : { pid }) } });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
