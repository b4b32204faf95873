export { TestRedis, redisServer } from './redis-server.ts';
export { TestSentinel, SENTINEL_MASTER, useSentinel } from './redis-sentinel.ts';
