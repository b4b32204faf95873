export { TestRedis, redisServer } from './redis-server.ts';
