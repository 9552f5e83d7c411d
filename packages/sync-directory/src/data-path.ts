import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { MeridianError } from '@meridian/core';

/** The data path, resolved; `INVALID_CONFIG` naming it when it is missing or not a directory. */
export async function resolveDataPath(path: string, regionId: string): Promise<string> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (cause) {
    throw new MeridianError('INVALID_CONFIG', `data path of region ${regionId} does not exist: ${path}`, { cause, details: { where: `regions.${regionId}.dataPath` } });
  }
  if (!info.isDirectory()) throw new MeridianError('INVALID_CONFIG', `data path of region ${regionId} is not a directory: ${path}`, { details: { where: `regions.${regionId}.dataPath` } });
  return realpath(path);
}
