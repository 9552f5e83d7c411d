import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MeridianError } from '../errors/meridian-error.js';

/**
 * Makes this process the only user of a store's directory: a `.lock` file
 * holding the pid, created exclusively; one left by a process that died is
 * taken over. `STORE_UNAVAILABLE` (the message starting with `what`) when a
 * live process, or this one, holds it. Resolves to the release function.
 */
export async function lockDirectory(directory: string, what: string): Promise<() => Promise<void>> {
  const file = join(directory, '.lock');
  const release = (): Promise<void> => rm(file, { force: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new MeridianError('STORE_UNAVAILABLE', `${what}: ${directory} is in use by process ${holder}`, { details: { directory, pid: holder } });
      }
      if (holder === process.pid) {
        throw new MeridianError('STORE_UNAVAILABLE', `${what}: ${directory} is already open in this process; share one store object`);
      }
      await rm(file, { force: true }); // left by a process that died
    }
  }
  throw new MeridianError('STORE_UNAVAILABLE', `${what}: could not lock ${directory}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
