// Public API of @meridian/session-migration (snapshots first; the migrator follows).
export { SnapshotCodec } from './codec/snapshot-codec.js';
export type { SnapshotCompression, SnapshotHeader } from './codec/snapshot-codec.js';
export type { SnapshotCodecOptions, SnapshotKey } from './codec/codec-options.js';
export { FileSnapshotStore } from './stores/file-snapshot-store.js';
export { MemorySnapshotStore } from './stores/memory-snapshot-store.js';
