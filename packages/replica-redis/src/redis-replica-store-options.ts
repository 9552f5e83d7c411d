import { parseRedisConnectionOptions, redisConnectionOptionsSchema, type ParsedRedisConnectionOptions, type RedisConnectionOptions } from './redis-connection-options.js';

/** @internal */
export const redisReplicaStoreOptionsSchema = redisConnectionOptionsSchema('meridian:replica');

/** Options of {@link createRedisReplicaStore} and `RedisReplicaStore.connect`. */
export interface RedisReplicaStoreOptions extends RedisConnectionOptions {
  /** Start of every Redis key the store uses; stores with the same prefix share the data. Default `meridian:replica`. */
  prefix?: string;
}

/** Options after validation, defaults applied. */
export type ParsedRedisReplicaStoreOptions = ParsedRedisConnectionOptions;

/**
 * Validates options; throws `INVALID_CONFIG` naming each bad path and value,
 * with any password in `url` hidden.
 */
export function parseRedisReplicaStoreOptions(input: unknown): ParsedRedisReplicaStoreOptions {
  return parseRedisConnectionOptions(redisReplicaStoreOptionsSchema, input, 'RedisReplicaStore options');
}
