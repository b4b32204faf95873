import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gateway, hostsOf, upstreams } from './harness.ts';

describe('gateway smoke', () => {
  it('proxies a GET to the upstream and says how many attempts it took', async () => {
    const ups = await upstreams(2);
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }] });
    const r = await g.get('/hello?x=1');
    assert.equal(r.status, 200);
    assert.equal(r.json<{ path: string }>().path, '/hello?x=1');
    assert.equal(r.headers['x-brownout-attempt-count'], '1');
    // Hop-by-hop headers of the upstream connection are not forwarded (and never as empty values).
    assert.equal(r.headers['proxy-connection'], undefined);
    assert.equal(r.headers.upgrade, undefined);
    assert.notEqual(r.headers.connection, '');
  });

  it('forwards the client Host, appends X-Forwarded-For and sends the request body', async () => {
    const ups = await upstreams(1);
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }] });
    const r = await g.get('/echo', { host: 'shop.example', 'x-forwarded-for': '198.51.100.7', 'content-type': 'application/json' }, 'PUT', '{"a":1}');
    assert.equal(r.status, 200);
    assert.equal(ups[0]!.lastHeaders.host, 'shop.example');
    assert.equal(ups[0]!.lastHeaders['x-forwarded-for'], '198.51.100.7, 127.0.0.1');
    assert.equal(ups[0]!.lastBody, '{"a":1}');
  });

  it('interleaved concurrent requests each reach their own route\'s cluster with their own deadline', async () => {
    const [a] = await upstreams(1, 'a');
    const [b] = await upstreams(1, 'b');
    const g = await gateway({
      clusters: [
        { name: 'ca', hosts: hostsOf([a!]) },
        { name: 'cb', hosts: hostsOf([b!]) },
      ],
      routes: [
        { name: 'ra', match: { prefix: '/a' }, cluster: 'ca', timeout: '3s' },
        { name: 'rb', match: { prefix: '/b' }, cluster: 'cb', timeout: '7s' },
      ],
    });
    a!.slowMs = 5; // keep requests overlapping
    await a!.setMode('slow');
    const paths = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? `/a/${i}` : `/b/${i}`));
    const rs = await Promise.all(paths.map(p => g.get(p)));
    rs.forEach((r, i) => {
      assert.equal(r.status, 200);
      const body = r.json<{ upstream: string; path: string }>();
      assert.equal(body.path, paths[i]);
      assert.equal(body.upstream[0], paths[i]![1], `${paths[i]!} served by ${body.upstream}`);
    });
    assert.equal(a!.hits + b!.hits, 40);
    assert.ok(Number(a!.lastHeaders['x-brownout-deadline-ms']) <= 3_000, 'route a: its 3 s budget');
    assert.ok(Number(b!.lastHeaders['x-brownout-deadline-ms']) > 3_000, 'route b: its 7 s budget');
  });

  it('rewrites the prefix and the host when the route says so', async () => {
    const ups = await upstreams(1);
    const g = await gateway({
      clusters: [{ name: 'api', hosts: hostsOf(ups) }],
      routes: [{ name: 'v1', match: { prefix: '/api/v1' }, cluster: 'api', prefix_rewrite: '/internal', host_rewrite: 'catalog.internal' }],
    });
    const r = await g.get('/api/v1/items?page=2');
    assert.equal(r.json<{ path: string }>().path, '/internal/items?page=2');
    assert.equal(ups[0]!.lastHeaders.host, 'catalog.internal');
  });
});

describe('clients that hang up', () => {
  it('a client closing its socket before the upstream answers does not take the gateway down (regression)', async () => {
    const { connect } = await import('node:net');
    const ups = await upstreams(1);
    ups[0]!.slowMs = 200;
    await ups[0]!.setMode('slow');
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }] });
    const port = Number(new URL(g.url).port);
    for (let i = 0; i < 3; i++) {
      const s = connect(port, '127.0.0.1', () => s.write('GET /x HTTP/1.1\r\nHost: x\r\n\r\n'));
      await new Promise(r => setTimeout(r, 50));
      s.destroy();
    }
    await new Promise(r => setTimeout(r, 400));
    await ups[0]!.setMode('healthy');
    assert.equal((await g.get('/y')).status, 200);
  });

  it('survive a client aborting before the response and while it streams, and count neither as an upstream failure', async () => {
    const { request } = await import('undici');
    const ups = await upstreams(2);
    ups[0]!.slowMs = 300;
    await ups[0]!.setMode('slow');
    await ups[1]!.setMode('trickle');
    const g = await gateway({
      clusters: [{ name: 'api', hosts: hostsOf(ups) }],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', circuit_breaker: { consecutive_failures: 1 } }],
    });
    for (let i = 0; i < 4; i++) {
      const ac = new AbortController();
      const p = request(`${g.url}/x`, { signal: ac.signal }).then(async r => {
        // Read the first chunk of the streaming body, then hang up mid-stream.
        for await (const chunk of r.body) {
          if ((chunk as Buffer).length > 0) ac.abort();
        }
      });
      setTimeout(() => {
        ac.abort();
      }, 100);
      await assert.rejects(p);
    }
    await ups[0]!.setMode('healthy');
    await ups[1]!.setMode('healthy');
    const r = await g.get('/after');
    assert.equal(r.status, 200, 'the gateway is still up');
    const routes = (await g.adminGet('/routes')).json<{ routes: { breaker: { state: string } }[] }>();
    assert.equal(routes.routes[0]!.breaker.state, 'closed', 'client aborts did not trip the breaker');
  });
});
