import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import type { GatewayConfigInput } from '@brownout/core/config';
import { ADMIN_TOKEN, gateway, hostsOf, sleep, upstreams } from './harness.ts';
import { redisServer } from '@brownout/control-plane/testing';

const cfg = (hosts: string[], maxStaleness = '5m'): GatewayConfigInput => ({
  clusters: [{ name: 'api', hosts }],
  routes: [
    {
      name: 'catalog',
      match: { prefix: '/catalog' },
      cluster: 'api',
      retry_policy: { retry_on: 'connect-failure', num_retries: 0 },
      degradation: { mode: 'cache', fallback_chain: ['default'], default_response: { body: 'default catalog' }, cache: { max_staleness: maxStaleness, key: { query: true } } },
    },
  ],
});

describe('ResponseCache', () => {
  it('bounds each route by its own max_entries, evicting the least recently stored', async () => {
    const { ResponseCache } = await import('../src/cache/response-cache.ts');
    const c = new ResponseCache(undefined);
    const e = (t: number) => ({ status: 200, headers: {}, body: Buffer.from('x'), storedAt: t });
    for (let i = 0; i < 5; i++) c.put('a', `k${i}`, e(i), 60_000, 0, 3);
    c.put('b', 'k0', e(0), 60_000, 0, 3);
    assert.equal(c.size('a'), 3);
    assert.equal(c.peek('a', 'k0', 60_000, 10), undefined);
    assert.ok(c.peek('a', 'k4', 60_000, 10));
    assert.ok(c.peek('b', 'k0', 60_000, 10), 'routes do not evict each other');
  });

  it('does not rewrite an entry younger than the ttl, and forgets entries past max staleness', async () => {
    const { ResponseCache } = await import('../src/cache/response-cache.ts');
    const c = new ResponseCache(undefined);
    c.put('a', 'k', { status: 200, headers: {}, body: Buffer.from('v1'), storedAt: 1_000 }, 60_000, 500, 10);
    c.put('a', 'k', { status: 200, headers: {}, body: Buffer.from('v2'), storedAt: 1_400 }, 60_000, 500, 10);
    assert.equal(c.peek('a', 'k', 60_000, 1_500)!.body.toString(), 'v1', 'within ttl: kept');
    c.put('a', 'k', { status: 200, headers: {}, body: Buffer.from('v3'), storedAt: 1_600 }, 60_000, 500, 10);
    assert.equal(c.peek('a', 'k', 60_000, 1_700)!.body.toString(), 'v3', 'past ttl: refreshed');
    assert.equal(c.peek('a', 'k', 1_000, 2_601), undefined, 'older than max staleness');
  });
});

describe('response cache (stale-if-error and the cache mode)', () => {
  it('serves the last good response when the upstream fails, with age and x-brownout-degraded', async () => {
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)));
    const fresh = await g.get('/catalog/shoes?page=1');
    assert.equal(fresh.status, 200);
    await ups[0]!.setMode('refuse');
    const stale = await g.get('/catalog/shoes?page=1');
    assert.equal(stale.status, 200);
    assert.deepEqual(stale.json(), fresh.json());
    assert.equal(stale.headers['x-brownout-degraded'], 'cache; level=0; reason=upstream-error');
    assert.equal(stale.headers.age, '0');
    assert.equal(stale.headers['content-type'], 'application/json');
    const other = await g.get('/catalog/shoes?page=2');
    // Another query is another entry: nothing cached for it, so the chain's default answers.
    assert.equal(other.text, 'default catalog', 'another query is another entry: nothing cached for it');
    assert.equal(other.headers['x-brownout-degraded'], 'default; level=0; reason=upstream-error');
  });

  it('never serves an entry older than max_staleness, and never caches errors', async () => {
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups), '300ms'));
    await g.get('/catalog/a');
    await ups[0]!.setMode('503');
    // Past the cache, the chain's default answers: what matters here is that it is not the cached entry.
    assert.equal((await g.get('/catalog/b')).text, 'default catalog');
    await ups[0]!.setMode('refuse');
    await sleep(350);
    assert.equal((await g.get('/catalog/a')).text, 'default catalog', 'too old to serve');
    assert.equal((await g.get('/catalog/b')).text, 'default catalog', 'the 503 was not cached');
  });

  it('a switch to cache mode answers from the cache without calling the upstream, falling back to the default when there is no entry', async () => {
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)));
    await g.get('/catalog/x');
    const put = await request(`${g.admin}/switches`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ routes: { catalog: { mode: 'cache', reason: 'db down', actor: 'ana' } } }),
    });
    assert.equal(put.statusCode, 200);
    const hits = ups[0]!.hits;
    const cached = await g.get('/catalog/x');
    assert.equal(cached.headers['x-brownout-degraded'], 'cache; level=0; reason=switch');
    const missing = await g.get('/catalog/never-seen');
    assert.equal(missing.text, 'default catalog');
    assert.equal(missing.headers['x-brownout-degraded'], 'default; level=0; reason=switch');
    assert.equal(ups[0]!.hits, hits, 'no upstream calls while degraded');
  });

  it('shares entries between gateways through Redis', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const a = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url });
    const b = await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url });
    const fresh = await a.get('/catalog/shared');
    await sleep(50); // the Redis write is fire-and-forget
    await ups[0]!.setMode('refuse');
    const fromB = await b.get('/catalog/shared');
    assert.equal(fromB.status, 200);
    assert.deepEqual(fromB.json(), fresh.json());
    assert.equal(fromB.headers['x-brownout-degraded'], 'cache; level=0; reason=upstream-error');
  });

  it('keeps nothing the upstream marks private or no-store, or that sets a cookie', async () => {
    const { cacheable } = await import('../src/proxy/raw-headers.ts');
    const raw = (...kv: string[]) => kv.map(x => Buffer.from(x));
    assert.equal(cacheable(raw('Content-Type', 'text/plain')), true);
    assert.equal(cacheable(raw('Cache-Control', 'max-age=60, private')), false);
    assert.equal(cacheable(raw('cache-control', 'no-store')), false);
    assert.equal(cacheable(raw('Set-Cookie', 'sid=1')), false);
  });

  it('does not keep answers to POST', async () => {
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)));
    assert.equal((await g.get('/catalog/p', { 'content-type': 'text/plain' }, 'POST', 'x')).status, 200);
    await ups[0]!.setMode('refuse');
    assert.equal((await g.get('/catalog/p')).text, 'default catalog', 'no cached POST answer to serve');
  });
});
