import { dirname, resolve, sep } from 'node:path';
import { CrossRegionSync, MeridianError, type Clock, type CrossRegionSyncStatus, type SyncRegionState } from '@meridian/core';
import { openDirectoryStores, type DirectoryReplicaStore } from '@meridian/sync-directory';
import type { MeridianConfig } from '../config/config-schema.js';
import type { LoadedConfig } from '../config/load-config.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Log } from './logger.js';

/** The regions' data directories kept in step: one store per region and the sync between them. */
export interface DirectorySync {
  /** The sync over the directory stores (its own, beside the record sync). */
  readonly sync: CrossRegionSync;
  /** Each region's directory store, by region id. */
  readonly stores: ReadonlyMap<string, DirectoryReplicaStore>;
  /** Stops the scans and the sync and closes the stores. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts directory sync when at least two regions have a `dataPath` (resolved
 * against the config file's folder): opens a store per region (a path that is
 * missing, not a directory, shared by two regions or holding a symbolic link
 * loop is a usage error naming the config line), then scans every region each
 * `sync.intervalMillis` and lets a CrossRegionSync carry the changes with the
 * sync section's policy and bandwidth limit. A scan that fails (a file that
 * keeps changing) is logged and retried on the next tick.
 */
export async function startDirectorySync(loaded: LoadedConfig, log: Log, clock?: Clock): Promise<DirectorySync | undefined> {
  const config: MeridianConfig = loaded.config;
  const regions = config.regions.map((r, index) => ({ r, index })).filter(({ r }) => r.dataPath !== undefined);
  if (regions.length < 2) return undefined;
  let stores: Map<string, DirectoryReplicaStore>;
  try {
    stores = await openDirectoryStores(
      regions.map(({ r }) => ({ regionId: r.id, dataPath: resolve(dirname(loaded.path), r.dataPath!) })),
      { ignore: config.sync.directory?.ignore ?? [], ...(clock ? { clock } : {}) },
    );
  } catch (error) {
    if (!MeridianError.isInstance(error) || !['INVALID_CONFIG', 'INVALID_ARGUMENT'].includes(error.code)) throw error;
    // The store names the region in `details.where` (path errors) or the offending path in `details.field` (a link loop).
    const named = String(error.details.where ?? '');
    const field = String(error.details.field ?? '');
    const at = regions.find(({ r }) => named === `regions.${r.id}.dataPath` || field.startsWith(`${resolve(dirname(loaded.path), r.dataPath!)}${sep}`));
    const where = at ? `${loaded.where(['regions', at.index, 'dataPath'])}: regions[${at.index}].dataPath: ` : '';
    throw new CliError(`${where}${error.message}`, EXIT.USAGE, { cause: error, code: error.code });
  }
  const sync = new CrossRegionSync({
    regions: regions.map(({ r }, i) => ({ id: r.id, store: stores.get(r.id)!, priority: r.priority ?? i })),
    conflictPolicy: config.sync.conflictPolicy,
    intervalMillis: config.sync.intervalMillis,
    ...(config.sync.maxBytesPerSecond ? { maxBytesPerSecond: config.sync.maxBytesPerSecond } : {}),
    ...(clock ? { clock } : {}),
  });
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let scanning: Promise<void> = Promise.resolve();
  const scan = async (): Promise<void> => {
    for (const [id, store] of stores) {
      try {
        await store.rescan();
      } catch (error) {
        log(`directory sync: scan of ${id} (${store.dataPath}): ${(error as Error).message}`);
      }
    }
  };
  const tick = (): void => {
    if (stopped) return;
    scanning = scan().finally(() => {
      if (!stopped) timer = setTimeout(tick, config.sync.intervalMillis);
      timer?.unref?.();
    });
  };
  tick();
  await sync.start();
  log(`directory sync: ${regions.map(({ r }) => `${r.id}=${stores.get(r.id)!.dataPath}`).join(', ')}`);
  let stopping: Promise<void> | undefined;
  return {
    sync,
    stores,
    stop: () =>
      (stopping ??= (async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        await scanning;
        await sync.close();
        for (const store of stores.values()) await store.close();
      })()),
  };
}

/** A region of the data directories' sync, as `GET /v1/sync` shows it under `directory`. */
export interface DirectoryRegionStatus extends SyncRegionState {
  /** The region's data path (resolved). */
  dataPath: string;
  /** Files received and not written yet. */
  waiting: number;
}

/** The data directories' sync, as `GET /v1/sync` shows it under `directory`. */
export interface DirectorySyncStatus extends Omit<CrossRegionSyncStatus, 'regions'> {
  regions: DirectoryRegionStatus[];
  /** Files received and not written yet (the first 50), with why. */
  waiting: Array<{ regionId: string; path: string; reason: string }>;
}

/** The directory sync's status: the sync's own, with each region's data path and the files not written yet. */
export function directorySyncStatus(d: DirectorySync): DirectorySyncStatus {
  const status = d.sync.status();
  const waiting = [...d.stores].flatMap(([regionId, store]) => store.waiting().map((w) => ({ regionId, ...w })));
  return {
    ...status,
    regions: status.regions.map((r) => {
      const store = d.stores.get(r.regionId)!;
      return { ...r, dataPath: store.dataPath, waiting: store.waiting().length };
    }),
    waiting: waiting.slice(0, 50),
  };
}

/** Resolves once every region's directory lag is 0 and no received file waits to be written; rejects when `signal` aborts. */
export async function directoryInStep(d: DirectorySync, signal: AbortSignal): Promise<void> {
  for (;;) {
    await Promise.all([...d.stores.keys()].map((id) => d.sync.waitForLag(id, 0, { signal })));
    if ([...d.stores.values()].every((s) => s.waiting().length === 0)) return;
    // Files are written as chunks arrive: the next round (and its flush) writes them.
    await d.sync.syncNow({ signal });
  }
}
