export { TestRedis, redisServer } from './redis-server.ts';
export { TestSentinel, SENTINEL_MASTER, TEST_REDIS_PASSWORD, useSentinel } from './redis-sentinel.ts';
export { TestCluster, useCluster } from './redis-cluster.ts';
export { eventually } from './wait.ts';
export { quietLog } from './quiet-log.ts';
