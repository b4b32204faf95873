export { TestRedis, redisServer } from './redis-server.ts';
export { TestSentinel, SENTINEL_MASTER } from './redis-sentinel.ts';
