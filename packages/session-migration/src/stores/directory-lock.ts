import { readFile, rm, writeFile } from 'node:fs/promises';
import { MeridianError } from '@meridian/core';

/**
 * Takes `file` for this process: created with O_EXCL holding our pid. A file
 * left by a process that is gone is taken over; one held by a live process
 * (this one included) is refused with STORE_UNAVAILABLE. The pid is the whole
 * test, so a directory on a filesystem shared between machines needs an
 * external lock.
 */
export async function lockDirectory(file: string, directory: string, what: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return;
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
  return new MeridianError('STORE_UNAVAILABLE', message, { cause, details: { directory, ...(pid === undefined ? {} : { pid }) } });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
