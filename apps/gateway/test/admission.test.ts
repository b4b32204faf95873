import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gateway, hostsOf, upstreams } from './harness.ts';

describe('admission: limits, rate limits, faults', () => {
  it('overflow answers 503 with x-brownout-overloaded and never ejects the host', async () => {
    const ups = await upstreams(1);
    ups[0]!.slowMs = 300;
    await ups[0]!.setMode('slow');
    const g = await gateway({
      clusters: [
        {
          name: 'api',
          hosts: hostsOf(ups),
          outlier_detection: { consecutive_5xx: 1, always_eject_one_host: true },
          circuit_breakers: { thresholds: [{ max_requests: 1 }] },
        },
      ],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', retry_policy: { retry_on: '5xx', num_retries: 2 } }],
    });
    const rs = await Promise.all([1, 2, 3].map(() => g.get('/busy')));
    const statuses = rs.map(r => r.status).sort();
    assert.deepEqual(statuses, [200, 503, 503]);
    const over = rs.filter(r => r.status === 503);
    for (const r of over) {
      assert.equal(r.headers['x-brownout-overloaded'], 'true');
      assert.equal(r.text, 'upstream connect error or disconnect/reset before headers. reset reason: overflow');
    }
    assert.equal(ups[0]!.hits, 1, 'overflowed requests never reached the upstream');
    const c = (await g.adminGet('/clusters')).json<{ clusters: { hosts: { ejected: boolean }[] }[] }>();
    assert.equal(c.clusters[0]!.hosts[0]!.ejected, false);
    const prom = (await g.adminGet('/stats/prometheus')).text;
    assert.match(prom, /brownout_overflow_total\{cluster="api",kind="upstream_rq_overflow"\} 2/);
    assert.match(prom, /brownout_local_replies_total\{route="all",flag="UO"\} 2/);
  });

  it('rate limits per client IP with 429, retry-after and x-ratelimit-* headers', async () => {
    const ups = await upstreams(1);
    const g = await gateway({
      clusters: [{ name: 'api', hosts: hostsOf(ups) }],
      routes: [
        { name: 'all', match: { prefix: '/rl' }, cluster: 'api', rate_limit: { token_bucket: { max_tokens: 3, tokens_per_fill: 1, fill_interval: '10s' } } },
        {
          name: 'draft',
          match: { prefix: '/draft' },
          cluster: 'api',
          rate_limit: { token_bucket: { max_tokens: 3, tokens_per_fill: 1, fill_interval: '10s' }, enable_x_ratelimit_headers: 'DRAFT_VERSION_03' },
        },
      ],
    });
    const rs = [];
    for (let i = 0; i < 4; i++) rs.push(await g.get('/rl'));
    assert.deepEqual(rs.map(r => r.status), [200, 200, 200, 429]);
    assert.equal(rs[0]!.headers['x-ratelimit-limit'], undefined, "Envoy's default (OFF): only limited answers carry the figures");
    const limited = rs[3]!;
    assert.equal(limited.text, 'local_rate_limited');
    assert.equal(limited.headers['x-ratelimit-limit'], '3');
    assert.equal(limited.headers['x-ratelimit-remaining'], '0');
    const ra = Number(limited.headers['retry-after']);
    assert.ok(ra >= 9 && ra <= 10, `retry-after ${ra}s`);
    assert.equal(ups[0]!.hits, 3);
    const draft = await g.get('/draft');
    assert.equal(draft.status, 200);
    assert.equal(draft.headers['x-ratelimit-limit'], '3', 'DRAFT_VERSION_03: on every answer through the bucket');
    assert.equal(draft.headers['x-ratelimit-remaining'], '2');
    assert.equal(draft.headers['x-ratelimit-reset'], '0');
  });

  it('keys the limit on X-Forwarded-For only when the peer is a trusted proxy', async () => {
    const ups = await upstreams(1);
    const mk = (trusted: string[]) =>
      gateway({
        listener: { trusted_proxies: trusted },
        clusters: [{ name: 'api', hosts: hostsOf(ups) }],
        routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', rate_limit: { token_bucket: { max_tokens: 1, fill_interval: '1m' } } }],
      });
    const trusting = await mk(['127.0.0.1']);
    assert.equal((await trusting.get('/', { 'x-forwarded-for': '203.0.113.1' })).status, 200);
    assert.equal((await trusting.get('/', { 'x-forwarded-for': '203.0.113.2' })).status, 200, 'a different client behind the proxy');
    assert.equal((await trusting.get('/', { 'x-forwarded-for': '203.0.113.1' })).status, 429);
    const untrusting = await mk([]);
    assert.equal((await untrusting.get('/', { 'x-forwarded-for': '203.0.113.1' })).status, 200);
    assert.equal((await untrusting.get('/', { 'x-forwarded-for': '203.0.113.2' })).status, 429, 'spoofed XFF is ignored: same peer, same bucket');
  });

  it('keys the limit on a header when configured', async () => {
    const ups = await upstreams(1);
    const g = await gateway({
      clusters: [{ name: 'api', hosts: hostsOf(ups) }],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', rate_limit: { token_bucket: { max_tokens: 1, fill_interval: '1m' }, key: { type: 'header', name: 'X-Api-Key' } } }],
    });
    assert.equal((await g.get('/', { 'x-api-key': 'a' })).status, 200);
    assert.equal((await g.get('/', { 'x-api-key': 'b' })).status, 200);
    assert.equal((await g.get('/', { 'x-api-key': 'a' })).status, 429);
  });

  it('injects aborts and delays as configured, and header faults only where enabled', async () => {
    const ups = await upstreams(1);
    const g = await gateway({
      clusters: [{ name: 'api', hosts: hostsOf(ups) }],
      routes: [
        { name: 'always-abort', match: { prefix: '/abort' }, cluster: 'api', fault: { abort: { http_status: 418, percentage: 100 } } },
        { name: 'delayed', match: { prefix: '/delay' }, cluster: 'api', fault: { delay: { fixed_delay: '150ms', percentage: 100 } } },
        { name: 'header', match: { prefix: '/hdr' }, cluster: 'api', fault: { abort: { http_status: 503, percentage: 100, header_abort: true } } },
        { name: 'plain', match: { prefix: '/' }, cluster: 'api' },
      ],
    });
    const a = await g.get('/abort');
    assert.equal(a.status, 418);
    assert.equal(a.text, 'fault filter abort');
    const t0 = performance.now();
    assert.equal((await g.get('/delay')).status, 200);
    assert.ok(performance.now() - t0 >= 140);
    assert.equal((await g.get('/hdr', { 'x-brownout-fault-abort-request': '502' })).status, 502);
    assert.equal((await g.get('/hdr', { 'x-brownout-fault-abort-request-percentage': '0' })).status, 200, 'the header may lower the percentage');
    assert.equal((await g.get('/other', { 'x-brownout-fault-abort-request': '500', 'x-brownout-fault-abort-request-percentage': '100' })).status, 200);
    assert.equal(ups[0]!.hits, 3);
    const prom = (await g.adminGet('/stats/prometheus')).text;
    assert.match(prom, /brownout_faults_injected_total\{route="always-abort",kind="abort"\} 1/);
    assert.match(prom, /brownout_faults_injected_total\{route="delayed",kind="delay"\} 1/);
  });
});
