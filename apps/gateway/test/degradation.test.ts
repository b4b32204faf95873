import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import type { GatewayConfigInput } from '@brownout/core/config';
import { ADMIN_TOKEN, gateway, hostsOf, upstreams } from './harness.ts';

async function putSwitches(admin: string, doc: unknown): Promise<{ status: number; body: unknown }> {
  const r = await request(`${admin}/switches`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(doc),
  });
  return { status: r.statusCode, body: await r.body.json() };
}

const config = (ups: string[], fallback: string[], openDuration = '30s'): GatewayConfigInput => ({
  clusters: [
    { name: 'main', hosts: ups, healthy_panic_threshold: 0 },
    { name: 'backup', hosts: fallback },
  ],
  routes: [
    {
      name: 'products',
      match: { prefix: '/products' },
      cluster: 'main',
      priority: 'low',
      circuit_breaker: { consecutive_failures: 2, open_duration: openDuration },
      retry_policy: { retry_on: '5xx', num_retries: 0 },
      degradation: {
        mode: 'fallback_service',
        fallback_cluster: 'backup',
        fallback_chain: ['default', 'reject'],
        default_response: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"products":[],"path":"{{path}}"}' },
      },
    },
    { name: 'checkout', match: { prefix: '/checkout' }, cluster: 'main', priority: 'critical', degradation: { mode: 'reject', retry_after: '15s' } },
    { name: 'reviews', match: { prefix: '/reviews' }, cluster: 'main', priority: 'normal', degradation: { mode: 'default', default_response: { body: 'no reviews right now' } } },
  ],
});

describe('degradation serving (embedded switches)', () => {
  it('an operator switch sends a route to its fallback service and says so in x-brownout-degraded', async () => {
    const main = await upstreams(1, 'main');
    const backup = await upstreams(1, 'backup');
    const g = await gateway(config(hostsOf(main), hostsOf(backup)));
    assert.equal((await g.get('/products/1')).json<{ upstream: string }>().upstream, 'main0');
    const put = await putSwitches(g.admin, { version: 1, routes: { products: { mode: 'fallback_service', reason: 'db failover', actor: 'ana' } } });
    assert.equal(put.status, 200);
    const r = await g.get('/products/1');
    assert.equal(r.json<{ upstream: string }>().upstream, 'backup0');
    assert.equal(r.headers['x-brownout-degraded'], 'fallback_service; level=0; reason=switch');
  });

  it('follows the chain to the default response when the fallback cluster is down, templated with the path', async () => {
    const main = await upstreams(1, 'main');
    const backup = await upstreams(1, 'backup');
    const g = await gateway({
      ...config(hostsOf(main), hostsOf(backup)),
      clusters: [
        { name: 'main', hosts: hostsOf(main), healthy_panic_threshold: 0 },
        { name: 'backup', hosts: hostsOf(backup), healthy_panic_threshold: 0, health_checks: [{ timeout: '100ms', interval: '150ms', no_traffic_interval: '150ms', unhealthy_threshold: 1, healthy_threshold: 1, tcp_health_check: {} }] },
      ],
    });
    await backup[0]!.setMode('refuse');
    await new Promise(r => setTimeout(r, 400));
    await putSwitches(g.admin, { version: 1, routes: { products: { mode: 'fallback_service', reason: 'r', actor: 'a' } } });
    const r = await g.get('/products/42');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { products: [], path: '/products/42' });
    assert.equal(r.headers['x-brownout-degraded'], 'default; level=0; reason=switch');
    assert.equal(main[0]!.hits, 0);
  });

  it('the global level sheds by priority: low first, never critical', async () => {
    const main = await upstreams(1, 'main');
    const backup = await upstreams(1, 'backup');
    const g = await gateway(config(hostsOf(main), hostsOf(backup)));
    await putSwitches(g.admin, { version: 1, global_level: 2 });
    assert.equal((await g.get('/products/1')).headers['x-brownout-degraded'], 'fallback_service; level=2; reason=switch');
    const reviews = await g.get('/reviews/1');
    assert.equal(reviews.text, 'no reviews right now');
    const checkout = await g.get('/checkout');
    assert.equal(checkout.headers['x-brownout-degraded'], undefined);
    assert.equal(checkout.json<{ upstream: string }>().upstream, 'main0');
    await putSwitches(g.admin, { version: 2, global_level: 1 });
    assert.equal((await g.get('/reviews/1')).json<{ upstream: string }>().upstream, 'main0', 'normal priority is back at level 1');
  });

  it('an open breaker degrades the route automatically and recovers by itself when it closes', async () => {
    const main = await upstreams(1, 'main');
    const backup = await upstreams(1, 'backup');
    const g = await gateway(config(hostsOf(main), hostsOf(backup), '300ms'));
    await main[0]!.setMode('503');
    // The failures that open the breaker are answered from the chain's default (trigger upstream_failure).
    for (const path of ['/products/a', '/products/b']) {
      const failed = await g.get(path);
      assert.equal(failed.status, 200);
      assert.equal(failed.headers['x-brownout-degraded'], 'default; level=0; reason=upstream-error');
    }
    const r = await g.get('/products/c');
    assert.equal(r.headers['x-brownout-degraded'], 'fallback_service; level=0; reason=breaker');
    assert.equal(r.json<{ upstream: string }>().upstream, 'backup0');
    assert.equal(main[0]!.hits, 2, 'no traffic to the failing upstream while the breaker is open');
    const prom = (await g.adminGet('/stats/prometheus')).text;
    assert.match(prom, /brownout_degraded_responses_total\{route="products",mode="fallback_service",reason="breaker",shadow="false"\} 1/);
    await main[0]!.setMode('healthy');
    await new Promise(res => setTimeout(res, 350));
    const probe = await g.get('/products/d'); // half-open: one probe goes to the real upstream
    assert.equal(probe.json<{ upstream: string }>().upstream, 'main0');
    assert.equal(probe.headers['x-brownout-degraded'], undefined);
    const routes = (await g.adminGet('/routes')).json<{ routes: { name: string; breaker: { state: string } | null }[] }>();
    assert.equal(routes.routes.find(r => r.name === 'products')!.breaker!.state, 'closed');
  });

  it('a route with no healthy host (panic disabled) degrades with reason no-healthy-host', async () => {
    const main = await upstreams(1, 'main');
    const backup = await upstreams(1, 'backup');
    const g = await gateway({
      ...config(hostsOf(main), hostsOf(backup)),
      clusters: [
        { name: 'main', hosts: hostsOf(main), healthy_panic_threshold: 0, health_checks: [{ timeout: '100ms', interval: '150ms', no_traffic_interval: '150ms', unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/healthz' } }] },
        { name: 'backup', hosts: hostsOf(backup) },
      ],
    });
    await main[0]!.setMode('503');
    await new Promise(r => setTimeout(r, 400));
    const r = await g.get('/reviews/1');
    assert.equal(r.text, 'no reviews right now');
    assert.equal(r.headers['x-brownout-degraded'], 'default; level=0; reason=no-healthy-host');
  });

  it('shadow switches change nothing for clients but are counted', async () => {
    const main = await upstreams(1, 'main');
    const backup = await upstreams(1, 'backup');
    const g = await gateway(config(hostsOf(main), hostsOf(backup)));
    await putSwitches(g.admin, { version: 1, routes: { reviews: { mode: 'reject', reason: 'dry run', actor: 'ana', shadow: true } } });
    const r = await g.get('/reviews/9');
    assert.equal(r.json<{ upstream: string }>().upstream, 'main0');
    assert.equal(r.headers['x-brownout-degraded'], undefined);
    const prom = (await g.adminGet('/stats/prometheus')).text;
    assert.match(prom, /brownout_degraded_responses_total\{route="reviews",mode="reject",reason="switch",shadow="true"\} 1/);
  });

  it('reject answers 503 fast with retry-after; an expired switch reverts by itself', async () => {
    const main = await upstreams(1, 'main');
    const backup = await upstreams(1, 'backup');
    const g = await gateway(config(hostsOf(main), hostsOf(backup)));
    const expires = new Date(Date.now() + 300).toISOString();
    await putSwitches(g.admin, { version: 1, routes: { checkout: { mode: 'reject', reason: 'maintenance', actor: 'ops', expires_at: expires } } });
    const r = await g.get('/checkout');
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '15');
    assert.equal(r.headers['x-brownout-degraded'], 'reject; level=0; reason=switch');
    await new Promise(res => setTimeout(res, 350));
    assert.equal((await g.get('/checkout')).status, 200, 'the switch expired with no one acting');
  });

  it('refuses bad and stale switch documents and keeps the current switches', async () => {
    const main = await upstreams(1, 'main');
    const backup = await upstreams(1, 'backup');
    const g = await gateway(config(hostsOf(main), hostsOf(backup)));
    assert.equal((await putSwitches(g.admin, { version: 5, global_level: 3 })).status, 200);
    const bad = await putSwitches(g.admin, { version: 6, global_level: 9, routes: { reviews: { mode: 'teleport', reason: '', actor: 'x' } } });
    assert.equal(bad.status, 400);
    const paths = (bad.body as { error: { issues: { path: string }[] } }).error.issues.map(i => i.path).sort();
    assert.deepEqual(paths, ['global_level', 'routes.reviews.mode', 'routes.reviews.reason']);
    const stale = await putSwitches(g.admin, { version: 4, global_level: 0 });
    assert.equal(stale.status, 409);
    const cur = (await g.adminGet('/switches')).json<{ version: number; document: { global_level: number } }>();
    assert.deepEqual([cur.version, cur.document.global_level], [5, 3]);
  });
});
