// Public API of @meridian/providers-local.
export { LocalProvider, createLocalProvider } from './local-provider.js';
export type { LocalProviderEvents, ProcessExitEvent, ProcessReadyEvent } from './local-provider.js';
export type { LocalProviderOptions, LocalRegionOptions, LocalRegionPrice } from './local-provider-options.js';
export { FrontDoor } from './front-door.js';
export { createLocalSessionAdapter } from './local-session-adapter.js';
export { createLocalReplicaStore } from './local-replica-store.js';
export type { LocalReplicaStore } from './local-replica-store.js';
export type { LocalReplicaStoreOptions } from './local-replica-store-options.js';
export { MAX_REPLICA_BODY_BYTES, REPLICA_PROTOCOL } from './replica-http.js';
export type { FrontDoorOptions, FrontDoorRegionStats, FrontDoorStats } from './front-door.js';
export type { FailFault, HangFault, LocalFault, NoFault, SlowFault } from './fault.js';
