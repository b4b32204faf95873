import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayConfigInput } from '@brownout/core/config';
import { eventually, gateway, hostsOf, upstreams } from './harness.ts';
import { redisServer } from '@brownout/control-plane/testing';

const cfg = (hosts: string[]): GatewayConfigInput => ({
  clusters: [{ name: 'api', hosts }],
  routes: [
    {
      name: 'api',
      match: { prefix: '/' },
      cluster: 'api',
      rate_limit: { token_bucket: { max_tokens: 4, tokens_per_fill: 1, fill_interval: '1m' }, key: { type: 'header', name: 'x-api-key' }, scope: 'distributed' },
    },
  ],
});

describe('distributed rate limit (Redis, GCRA)', () => {
  it('enforces one limit across two gateways, per client key', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const a = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url });
    const b = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await (i % 2 ? b : a).get('/x', { 'x-api-key': 'k1' })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429], 'four tokens shared by both gateways');
    const limited = await a.get('/x', { 'x-api-key': 'k1' });
    assert.equal(limited.headers['x-ratelimit-limit'], '4');
    assert.equal(limited.headers['x-ratelimit-remaining'], '0');
    assert.ok(Number(limited.headers['retry-after']) >= 14, `retry-after ${String(limited.headers['retry-after'])}s for one token every 15s`);
    assert.equal((await b.get('/x', { 'x-api-key': 'k2' })).status, 200, 'another key has its own bucket');
    assert.equal(ups[0]!.hits, 5);
  });

  it('fails open when Redis is down: requests pass and the metric says why', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url });
    for (let i = 0; i < 4; i++) await g.get('/x', { 'x-api-key': 'k' });
    assert.equal((await g.get('/x', { 'x-api-key': 'k' })).status, 429);
    await redis.stop();
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = await g.get('/x', { 'x-api-key': 'k' });
      assert.equal(r.status, 200, 'stopping the limiter is a degradation lever, not an outage');
      assert.ok(performance.now() - t0 < 500);
    }
    await eventually(async () => /brownout_distributed_rate_limit_total\{route="api",outcome="failure_mode_allowed"\} [5-9]/.test((await g.adminGet('/stats/prometheus')).text), 2_000, 'fail-open count');
  });
});
