import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { gateway, hostsOf, upstreams } from './harness.ts';

const cluster = (hosts: string[]) => ({ name: 'api', hosts });

describe('retries and timeouts', () => {
  it('cuts a hung host with the per-try timeout and succeeds on another host', async () => {
    const ups = await upstreams(2);
    await ups[0]!.setMode('hang');
    const g = await gateway({
      clusters: [cluster(hostsOf(ups))],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', timeout: '3s', retry_policy: { retry_on: 'reset', num_retries: 1, per_try_timeout: '150ms' } }],
    });
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      const r = await g.get('/slow-path');
      const ms = performance.now() - t0;
      assert.equal(r.status, 200);
      assert.equal(r.json<{ upstream: string }>().upstream, 'u1');
      assert.ok(ms < 1_000, `answered in ${ms.toFixed(0)}ms, not the 3s route timeout`);
      if (r.headers['x-brownout-attempt-count'] === '2') return;
    }
    assert.fail('round robin never sent a request to the hung host first');
  });

  it('answers 504 "upstream request timeout" when every attempt hangs, within the route timeout', async () => {
    const ups = await upstreams(2);
    for (const u of ups) await u.setMode('hang');
    const g = await gateway({
      clusters: [cluster(hostsOf(ups))],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', timeout: '400ms', retry_policy: { retry_on: '5xx', num_retries: 5, per_try_timeout: '150ms' } }],
    });
    const t0 = performance.now();
    const r = await g.get('/');
    const ms = performance.now() - t0;
    assert.equal(r.status, 504);
    assert.equal(r.text, 'upstream request timeout');
    assert.ok(ms >= 300 && ms < 900, `took ${ms.toFixed(0)}ms for a 400ms budget`);
  });

  it('retries a 503 on another host and reports two attempts', async () => {
    const ups = await upstreams(2);
    await ups[0]!.setMode('503');
    const g = await gateway({
      clusters: [cluster(hostsOf(ups))],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', retry_policy: { retry_on: 'gateway-error', num_retries: 1 } }],
    });
    const results = await Promise.all(Array.from({ length: 6 }, () => g.get('/r')));
    for (const r of results) assert.equal(r.status, 200);
    assert.ok(results.some(r => r.headers['x-brownout-attempt-count'] === '2'));
    assert.equal(ups[0]!.hits + ups[1]!.hits, 6 + ups[0]!.hits, 'every 503 was retried once, on the healthy host');
  });

  it('forwards the last upstream answer unchanged when retries are exhausted', async () => {
    const ups = await upstreams(2);
    for (const u of ups) await u.setMode('503');
    const g = await gateway({
      clusters: [cluster(hostsOf(ups))],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', retry_policy: { retry_on: '5xx', num_retries: 2 } }],
    });
    const r = await g.get('/');
    assert.equal(r.status, 503);
    assert.match(r.text, /unavailable/);
    assert.equal(r.headers['x-brownout-attempt-count'], '3');
    assert.equal(ups[0]!.hits + ups[1]!.hits, 3);
  });

  it('never retries once the response has started streaming', async () => {
    const ups = await upstreams(2);
    for (const u of ups) await u.setMode('partial');
    const g = await gateway({
      clusters: [cluster(hostsOf(ups))],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', retry_policy: { retry_on: '5xx,reset', num_retries: 3 } }],
    });
    await assert.rejects(async () => {
      const r = await request(`${g.url}/stream`);
      assert.equal(r.statusCode, 200);
      await r.body.text();
    });
    assert.equal(ups[0]!.hits + ups[1]!.hits, 1, 'one upstream hit: headers had been sent downstream');
  });

  it('does not retry POST unless the route allows it, and replays the buffered body when it does', async () => {
    const ups = await upstreams(2);
    await ups[0]!.setMode('503');
    const mk = (allow: boolean) => ({
      clusters: [cluster(hostsOf(ups))],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', retry_policy: { retry_on: '5xx', num_retries: 1, retry_non_idempotent: allow } }],
    });
    const strict = await gateway(mk(false));
    const strictResults = await Promise.all([1, 2].map(() => strict.get('/orders', { 'content-type': 'application/json' }, 'POST', '{"id":7}')));
    assert.deepEqual(strictResults.map(r => r.status).sort(), [200, 503]);
    const lenient = await gateway(mk(true));
    const results = await Promise.all([1, 2].map(() => lenient.get('/orders', { 'content-type': 'application/json' }, 'POST', '{"id":7}')));
    assert.deepEqual(results.map(r => r.status), [200, 200]);
    assert.equal(ups[1]!.lastBody, '{"id":7}', 'the retried POST carried the same body');
  });

  it('propagates the remaining budget downstream and honours a shorter incoming deadline from a trusted proxy', async () => {
    const ups = await upstreams(1);
    const g = await gateway({
      listener: { trusted_proxies: ['127.0.0.1'] },
      clusters: [cluster(hostsOf(ups))],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', timeout: '2s', retry_policy: { per_try_timeout: '500ms' } }],
    });
    await g.get('/d');
    const forwarded = Number(ups[0]!.lastHeaders['x-brownout-deadline-ms']);
    assert.ok(forwarded > 400 && forwarded <= 500, `per-try budget forwarded: ${forwarded}`);
    await g.get('/d', { 'x-brownout-deadline-ms': '120' });
    const shorter = Number(ups[0]!.lastHeaders['x-brownout-deadline-ms']);
    assert.ok(shorter <= 120 && shorter > 50, `caller's shorter deadline wins: ${shorter}`);
    await ups[0]!.setMode('hang');
    const t0 = performance.now();
    const r = await g.get('/d', { 'x-brownout-deadline-ms': '150' });
    assert.equal(r.status, 504);
    assert.ok(performance.now() - t0 < 450, 'never waits longer than the caller will');
  });

  it('hedges on per-try timeout: a second attempt races the slow first one and the fast answer wins', async () => {
    const ups = await upstreams(2);
    ups[0]!.slowMs = 600;
    await ups[0]!.setMode('slow');
    const g = await gateway({
      clusters: [cluster(hostsOf(ups))],
      routes: [
        {
          name: 'all',
          match: { prefix: '/' },
          cluster: 'api',
          timeout: '2s',
          retry_policy: { retry_on: '5xx', num_retries: 1, per_try_timeout: '100ms', retry_back_off: { base_interval: '1ms' } },
          hedge_policy: { hedge_on_per_try_timeout: true },
        },
      ],
    });
    let hedged = false;
    for (let i = 0; i < 4 && !hedged; i++) {
      const t0 = performance.now();
      const r = await g.get('/h');
      const ms = performance.now() - t0;
      assert.equal(r.status, 200);
      if (r.headers['x-brownout-attempt-count'] === '2') {
        hedged = true;
        assert.equal(r.json<{ upstream: string }>().upstream, 'u1');
        assert.ok(ms < 500, `hedge answered in ${ms.toFixed(0)}ms instead of waiting 600ms`);
      }
    }
    assert.ok(hedged, 'a request landed on the slow host first and was hedged');
  });

  it('retries on a matching response header even on a 200 (retriable-headers)', async () => {
    const ups = await upstreams(2);
    const g = await gateway({
      clusters: [cluster(hostsOf(ups))],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', retry_policy: { retry_on: 'retriable-headers', retriable_headers: [{ name: 'content-type', exact: 'text/plain' }], num_retries: 1 } }],
    });
    // /healthz answers text/plain (retriable by this policy); every other path answers JSON.
    const r = await g.get('/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-brownout-attempt-count'], '2', 'the text/plain answer was retried once');
    assert.equal((await g.get('/json')).headers['x-brownout-attempt-count'], '1');
  });
});
