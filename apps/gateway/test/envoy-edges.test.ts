import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gateway, hostsOf, upstreams } from './harness.ts';
import { RawUpstream } from './raw-upstream.ts';

describe('Envoy-exact edges', () => {
  it('max_pending_requests: requests waiting for a busy connection beyond the limit overflow at once (503 UO), never ejecting', async () => {
    const ups = await upstreams(1);
    ups[0]!.slowMs = 300;
    await ups[0]!.setMode('slow');
    const g = await gateway({
      clusters: [
        {
          name: 'api',
          hosts: hostsOf(ups),
          outlier_detection: { consecutive_5xx: 1, consecutive_local_origin_failure: 1, max_ejection_percent: 100 },
          circuit_breakers: { thresholds: [{ max_connections: 1, max_pending_requests: 1 }] },
        },
      ],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }],
    });
    const t0 = performance.now();
    const rs = await Promise.all([1, 2, 3, 4].map(i => g.get(`/p${i}`).then(r => ({ ...r, ms: performance.now() - t0 }))));
    assert.deepEqual(rs.map(r => r.status).sort(), [200, 200, 503, 503]);
    for (const r of rs.filter(x => x.status === 503)) {
      assert.equal(r.headers['x-brownout-overloaded'], 'true');
      assert.ok(r.ms < 250, `overflow answered at once, not after waiting (${Math.round(r.ms)} ms)`);
    }
    assert.equal(ups[0]!.hits, 2);
    const prom = (await g.adminGet('/stats/prometheus')).text;
    assert.match(prom, /brownout_overflow_total\{cluster="api",kind="upstream_rq_pending_overflow"\} 2/);
    assert.match(prom, /brownout_local_replies_total\{route="all",flag="UO"\} 2/);
    const c = (await g.adminGet('/clusters')).json<{ clusters: { hosts: { ejected: boolean }[]; limits: { default: { pending: number } } }[] }>();
    assert.equal(c.clusters[0]!.hosts[0]!.ejected, false);
    assert.equal(c.clusters[0]!.limits.default.pending, 1, 'the pending slot was given back');
  });

  it('a retry that ends in success counts as upstream_rq_retry_success', async () => {
    const up = await new RawUpstream().start();
    let n = 0;
    up.respond = () => (n++ === 0 ? 'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n' : 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    const g = await gateway({
      clusters: [{ name: 'api', hosts: [up.host] }],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', retry_policy: { retry_on: '5xx', num_retries: 2, retry_back_off: { base_interval: '1ms' } } }],
    });
    const r = await g.get('/x');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-brownout-attempt-count'], '2');
    const prom = (await g.adminGet('/stats/prometheus')).text;
    assert.match(prom, /brownout_retry_outcomes_total\{cluster="api",outcome="upstream_rq_retry"\} 1/);
    assert.match(prom, /brownout_retry_outcomes_total\{cluster="api",outcome="upstream_rq_retry_success"\} 1/);
  });

  it('a route without a degradation block answers like Envoy when no host is healthy (503 no healthy upstream, UH); with one it degrades', async () => {
    const ups = await upstreams(1);
    await ups[0]!.setMode('503');
    const g = await gateway({
      clusters: [{ name: 'api', hosts: hostsOf(ups), healthy_panic_threshold: 0, outlier_detection: { consecutive_5xx: 1, max_ejection_percent: 100 } }],
      routes: [
        { name: 'plain', match: { prefix: '/plain' }, cluster: 'api' },
        { name: 'managed', match: { prefix: '/managed' }, cluster: 'api', degradation: {} },
      ],
    });
    assert.equal((await g.get('/plain/1')).status, 503); // the 503 that ejects the only host
    const plain = await g.get('/plain/2');
    assert.deepEqual([plain.status, plain.text], [503, 'no healthy upstream']);
    assert.equal(plain.headers['x-brownout-degraded'], undefined);
    const managed = await g.get('/managed/1');
    assert.deepEqual([managed.status, managed.text], [503, 'managed is degraded: try again later']);
    assert.match(String(managed.headers['x-brownout-degraded']), /reason=no-healthy-host/);
    assert.match((await g.adminGet('/stats/prometheus')).text, /brownout_local_replies_total\{route="plain",flag="UH"\} 1/);
  });
});
