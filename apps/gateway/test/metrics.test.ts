import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { FastHistogram } from '../src/observability/fast-histogram.ts';
import { gateway, hostsOf, upstreams } from './harness.ts';

describe('request metrics', () => {
  it('a FastHistogram scrapes as a Prometheus histogram: cumulative buckets, +Inf, sum and count per label', async () => {
    const registry = new Registry();
    const h = new FastHistogram({ name: 'x_seconds', help: 'test', label: 'route', buckets: [0.001, 0.01, 1], registry });
    const a = h.for('a');
    for (const v of [0.0005, 0.001, 0.003, 20]) a.observe(v);
    h.for('b').observe(0.5);
    const text = await registry.metrics();
    assert.match(text, /# TYPE x_seconds histogram/);
    assert.match(text, /x_seconds_bucket\{le="0.001",route="a"\} 2\n/, 'the bound itself falls in its bucket (le)');
    assert.match(text, /x_seconds_bucket\{le="0.01",route="a"\} 3\n/);
    assert.match(text, /x_seconds_bucket\{le="1",route="a"\} 3\n/);
    assert.match(text, /x_seconds_bucket\{le="\+Inf",route="a"\} 4\n/);
    assert.match(text, /x_seconds_sum\{route="a"\} 20.0045\n/);
    assert.match(text, /x_seconds_count\{route="a"\} 4\n/);
    assert.match(text, /x_seconds_bucket\{le="0.01",route="b"\} 0\n/);
    assert.match(text, /x_seconds_bucket\{le="1",route="b"\} 1\n/);
    assert.equal(h.for('a'), a, 'one series per label value');
  });

  it('counts client requests by route and status class and times them, concurrent requests included', async () => {
    const ups = await upstreams(1);
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'all', match: { prefix: '/api' }, cluster: 'api' }] });
    await Promise.all(Array.from({ length: 20 }, () => g.get('/api/x')));
    assert.equal((await g.get('/nowhere')).status, 404);
    await ups[0]!.setMode('503');
    assert.equal((await g.get('/api/x')).status, 503);
    const prom = (await g.adminGet('/stats/prometheus')).text;
    assert.match(prom, /brownout_requests_total\{route="all",status_class="2xx"\} 20\n/);
    assert.match(prom, /brownout_requests_total\{route="all",status_class="5xx"\} 1\n/);
    assert.match(prom, /brownout_requests_total\{route="-",status_class="4xx"\} 1\n/);
    assert.match(prom, /brownout_request_duration_seconds_count\{route="all"\} 21\n/);
    assert.match(prom, /brownout_request_duration_seconds_bucket\{le="\+Inf",route="all"\} 21\n/);
    const sum = Number(/brownout_request_duration_seconds_sum\{route="all"\} (\S+)/.exec(prom)![1]);
    assert.ok(sum > 0 && sum < 21 * 5, `duration sum ${sum}`);
    assert.match(prom, new RegExp(`brownout_upstream_requests_total\\{cluster="api",host="127.0.0.1:${ups[0]!.address.port}",status_class="2xx"\\} 20\\n`));
  });
});
