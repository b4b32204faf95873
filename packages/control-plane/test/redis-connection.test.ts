import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectRedis, parseRedisTarget, redactRedisUrl, replicationFor, RedisUrlError } from '../src/index.ts';

const none = { username: undefined, password: undefined };

describe('REDIS_URL forms', () => {
  it('takes plain URLs and socket paths as one server, ioredis parsing them; ?ca= is ours', () => {
    assert.deepEqual(parseRedisTarget('redis://:pw@10.0.0.5:6380/2'), { kind: 'single', url: 'redis://:pw@10.0.0.5:6380/2' });
    assert.deepEqual(parseRedisTarget('/run/redis.sock'), { kind: 'single', url: '/run/redis.sock' });
    assert.deepEqual(parseRedisTarget('rediss://app:pw@r:6380?ca=/etc/ca.pem&family=6'), { kind: 'single', url: 'rediss://app:pw@r:6380?family=6', caFile: '/etc/ca.pem' });
  });
  it('parses Sentinel URLs: master name, ACL user and password, the sentinels\' own credentials, TLS', () => {
    assert.deepEqual(parseRedisTarget('redis-sentinel://:s3cret@s1:26379,s2:26380,s3/mymaster'), {
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
        { host: 's3', port: 26379 },
      ],
      name: 'mymaster',
      auth: { username: undefined, password: 's3cret' },
      sentinelAuth: none,
      tls: false,
      caFile: undefined,
    });
    assert.deepEqual(parseRedisTarget('rediss-sentinel://brownout:p%40ss@s1/m?ca=/ca.pem&sentinel_username=sen&sentinel_password=x'), {
      kind: 'sentinel',
      sentinels: [{ host: 's1', port: 26379 }],
      name: 'm',
      auth: { username: 'brownout', password: 'p@ss' },
      sentinelAuth: { username: 'sen', password: 'x' },
      tls: true,
      caFile: '/ca.pem',
    });
    assert.throws(() => parseRedisTarget('redis-sentinel://s1:26379'), /REDIS_URL.*master name/);
  });
  it('parses Cluster URLs, with or without credentials and TLS', () => {
    assert.deepEqual(parseRedisTarget('redis-cluster://n1:7000,n2:7001'), {
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
      ],
      auth: none,
      tls: false,
      caFile: undefined,
    });
    assert.deepEqual(parseRedisTarget('rediss-cluster://u:pw@n1'), { kind: 'cluster', nodes: [{ host: 'n1', port: 6379 }], auth: { username: 'u', password: 'pw' }, tls: true, caFile: undefined });
  });
  it('refuses an unusable URL naming REDIS_URL and never echoing the password', () => {
    for (const bad of ['redis-cluster://u:hunter2@n1:99999', 'redis-cluster://u:hunter2@:7000', 'redis-sentinel://u:hunter2@']) {
      assert.throws(
        () => parseRedisTarget(bad),
        (e: unknown) => e instanceof RedisUrlError && e.message.startsWith('REDIS_URL') && !e.message.includes('hunter2'),
        bad,
      );
    }
    assert.throws(() => connectRedis('rediss://h:6380?ca=/nonexistent/ca.pem', { lazyConnect: true }), /REDIS_URL: cannot read the CA file/);
    // A CA without TLS would silently turn TLS on (or be ignored): refused, naming the scheme to use.
    assert.throws(() => parseRedisTarget('redis://h:6379?ca=/ca.pem'), /\?ca= is for TLS: use rediss:\/\//);
    assert.throws(() => parseRedisTarget('redis-cluster://n1?ca=/ca.pem'), /use rediss-cluster:\/\//);
  });
  it('redacts passwords for logs and banners, the user name kept', () => {
    assert.equal(redactRedisUrl('redis://app:hunter2@h:6379/0'), 'redis://app:***@h:6379/0');
    assert.equal(redactRedisUrl('redis-sentinel://:hunter2@s1,s2/m?sentinel_password=hunter3'), 'redis-sentinel://:***@s1,s2/m?sentinel_password=***');
    assert.equal(redactRedisUrl('/run/redis.sock'), '/run/redis.sock');
  });
  it('waits for a replica on Sentinel and Cluster, not on one server', () => {
    assert.equal(replicationFor('redis://h'), undefined);
    assert.deepEqual(replicationFor('redis-sentinel://s/m'), { count: 1, timeoutMs: 1_000 });
    assert.deepEqual(replicationFor('rediss-cluster://n1'), { count: 1, timeoutMs: 1_000 });
  });
});
