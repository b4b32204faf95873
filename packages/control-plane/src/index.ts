/**
 * @brownout/control-plane — the Redis contract shared by the gateways (readers) and the console
 * and admin API (writers): key names, the switch writer and its rules, the in-memory switch store,
 * the Redis sync that keeps a store in step, the change log and the fleet status.
 */
export { SWITCH_KEY, SWITCH_CHANNEL, SWITCH_LOG, INSTANCE_PREFIX, RATE_LIMIT_PREFIX, CACHE_PREFIX } from './redis-keys.ts';
export { connectRedis, parseRedisTarget, redactRedisUrl, RedisUrlError, type AnyRedis, type RedisAuth, type RedisTarget } from './redis-connection.ts';
export { explainRedisError } from './redis-trouble.ts';
export { replicationFor, waitForReplicas, type ReplicaWait } from './replication.ts';
export { MAX_SWITCH_VERSION_STEP, assignVersion, parseWrite, switchWriteIssues, type ParsedWrite, type VersionVerdict, type WriteRules } from './switch-write-rules.ts';
export { currentVersion, writeSwitchDocument, type WriteOptions, type WriteResult } from './switch-writer.ts';
export { SwitchStore, type ApplyResult } from './switch-store.ts';
export { RedisSwitchSync, type RedisSyncOptions, type SwitchRegression } from './switch-sync.ts';
export { CHANGE_LOG_MAX_ENTRIES, appendAutoEvent, appendHostEvent, appendInstanceEvent, readChangeLog, type AutoEvent, type ChangeLogEntry, type ChangeLogQuery, type HostEvent } from './change-log.ts';
export { FleetReporter, mergeHostHealth, readFleet, type FleetHost, type InstanceStatus } from './fleet-status.ts';
export type { ControlPlaneLog } from './log.ts';
