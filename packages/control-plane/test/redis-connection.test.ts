import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRedisTarget } from '../src/redis-connection.ts';

describe('REDIS_URL forms', () => {
  it('takes plain URLs and socket paths as one server', () => {
    assert.deepEqual(parseRedisTarget('redis://:pw@10.0.0.5:6380/2'), { kind: 'single', url: 'redis://:pw@10.0.0.5:6380/2' });
    assert.deepEqual(parseRedisTarget('/run/redis.sock'), { kind: 'single', url: '/run/redis.sock' });
  });
  it('parses Sentinel URLs with the master name and an optional password', () => {
    assert.deepEqual(parseRedisTarget('redis-sentinel://:s3cret@s1:26379,s2:26380,s3/mymaster'), {
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
        { host: 's3', port: 26379 },
      ],
      name: 'mymaster',
      password: 's3cret',
    });
    assert.throws(() => parseRedisTarget('redis-sentinel://s1:26379'), /master name/);
  });
  it('parses Cluster URLs', () => {
    assert.deepEqual(parseRedisTarget('redis-cluster://n1:7000,n2:7001'), {
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
      ],
      password: undefined,
    });
  });
});
