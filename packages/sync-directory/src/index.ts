// @meridian/sync-directory: a region's data directory as a ReplicaStore for CrossRegionSync.
export { DirectoryReplicaStore } from './directory-replica-store.js';
export type { RescanReport } from './directory-replica-store.js';
export type { WaitingFile } from './tree-writer.js';
export type { ChunkSizeOptions, DirectoryReplicaStoreOptions } from './directory-store-options.js';
export { openDirectoryStores } from './open-directory-stores.js';
export type { RegionDirectory } from './open-directory-stores.js';
export { IgnoreRules } from './ignore-rules.js';
export { conflictCopyPath } from './conflict-copy-name.js';
export type { SkippedEntry } from './tree-walk.js';
