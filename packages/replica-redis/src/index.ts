// Public API of @meridian/replica-redis. Explicit exports only: anything not listed is internal.

export { RedisReplicaStore, createRedisReplicaStore } from './redis-replica-store.js';
export type { RedisReplicaStoreOptions } from './redis-replica-store-options.js';
export { RedisSessionRegistry, createRedisSessionRegistry } from './redis-session-registry.js';
export type { RedisSessionRegistryOptions } from './redis-session-registry-options.js';
export type { RedisConnectionOptions } from './redis-connection-options.js';
export type { RedisClientLike, RedisCommandOptions } from './redis-client-like.js';
