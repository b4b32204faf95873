import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { gateway } from './harness.ts';
import { RawUpstream, rawExchange, statusOf } from './raw-upstream.ts';

/** Strict settings: one failure of any kind would eject the host and open the breaker. */
function strictConfig(host: string, extra: Record<string, unknown> = {}) {
  return {
    clusters: [
      {
        name: 'api',
        hosts: [host],
        outlier_detection: { consecutive_5xx: 1, consecutive_gateway_failure: 1, consecutive_local_origin_failure: 1, enforcing_consecutive_gateway_failure: 100, max_ejection_percent: 100, interval: '50ms' },
      },
    ],
    routes: [
      {
        name: 'all',
        match: { prefix: '/' },
        cluster: 'api',
        retry_policy: { retry_on: 'connect-failure,reset,5xx', num_retries: 2 },
        circuit_breaker: { consecutive_failures: 1, minimum_requests: 1 },
        ...extra,
      },
    ],
  };
}

function port(g: { gw: { publicApp: { server: { address(): unknown } } } }): number {
  return (g.gw.publicApp.server.address() as AddressInfo).port;
}

interface HostView { clusters: { hosts: { ejected: boolean }[] }[] }
interface RouteView { routes: { breaker: { state: string } | null }[] }

const HOSTILE: [string, string][] = [
  ['Keep-Alive', '1'],
  ['Upgrade', 'websocket'],
  ['Expect', '100-continue'],
  ['TE', 'gzip'],
  ['Proxy-Connection', 'keep-alive'],
  ['Proxy-Authorization', 'Basic c2VjcmV0'],
  ['Transfer-Encoding', 'chunked'],
  ['Connection', 'X-Private, Keep-Alive'],
];

describe('hostile input: hop-by-hop headers and local errors', () => {
  it('strips every hop-by-hop header on the way up (raw client, raw upstream) and keeps te: trailers', async () => {
    const up = await new RawUpstream().start();
    const g = await gateway(strictConfig(up.host));
    for (const [name, value] of HOSTILE) {
      const body = name === 'Transfer-Encoding' ? '5\r\nhello\r\n0\r\n\r\n' : '';
      const conn = name === 'Connection' ? '' : 'Connection: X-Private\r\n';
      const head = `POST /h HTTP/1.1\r\nHost: a.example\r\n${conn}X-Private: secret\r\n${name}: ${value}\r\n${body === '' ? 'Content-Length: 0\r\n' : ''}\r\n`;
      const raw = await rawExchange(port(g), head + body);
      assert.equal(statusOf(raw), 200, `${name}: ${raw.slice(0, 200)}`);
      const seen = up.requests.at(-1)!;
      const names = seen.headers.map(([k]) => k.toLowerCase());
      for (const banned of ['keep-alive', 'upgrade', 'expect', 'te', 'proxy-connection', 'proxy-authorization', 'x-private']) {
        assert.ok(!names.includes(banned), `${name}: upstream got ${banned}: ${names.join(',')}`);
      }
      if (name === 'Transfer-Encoding') assert.equal(seen.body.toString(), 'hello', 'the chunked body is forwarded');
    }
    const raw = await rawExchange(port(g), 'GET /t HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n\r\n');
    assert.equal(statusOf(raw), 200);
    assert.equal(up.header(up.requests.at(-1)!, 'te'), 'trailers');
  });

  it('strips hop-by-hop headers the upstream sends, including the names its Connection header lists', async () => {
    const up = await new RawUpstream().start();
    up.respond = () =>
      'HTTP/1.1 200 OK\r\nConnection: X-Secret, keep-alive\r\nX-Secret: upstream-only\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nProxy-Authenticate: Basic\r\nX-Kept: yes\r\nContent-Length: 2\r\n\r\nok';
    const g = await gateway(strictConfig(up.host));
    const raw = await rawExchange(port(g), 'GET /r HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal(statusOf(raw), 200);
    const head = raw.slice(0, raw.indexOf('\r\n\r\n')).toLowerCase();
    assert.match(head, /\r\nx-kept: yes/);
    for (const banned of ['x-secret', 'proxy-connection', 'proxy-authenticate', 'keep-alive: timeout=5']) {
      assert.ok(!head.includes(banned), `client got ${banned}:\n${head}`);
    }
  });

  it('answers Expect: 100-continue and forwards the body', async () => {
    const up = await new RawUpstream().start();
    const g = await gateway(strictConfig(up.host));
    const raw = await rawExchange(port(g), 'POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello');
    assert.match(raw, /^HTTP\/1\.1 100 Continue\r\n/);
    assert.match(raw, /HTTP\/1\.1 200 OK/);
    assert.equal(up.requests.at(-1)!.body.toString(), 'hello');
  });

  it('100 requests with hostile headers eject no host, leave the breaker closed, and a normal request is served', async () => {
    const up = await new RawUpstream().start();
    const g = await gateway(strictConfig(up.host));
    const statuses = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const [name, value] = HOSTILE[i % HOSTILE.length]!;
      const body = name === 'Transfer-Encoding' ? '1\r\nx\r\n0\r\n\r\n' : '';
      const head = `GET /p${i} HTTP/1.1\r\nHost: a\r\n${name}: ${value}\r\nx-brownout-deadline-ms: 1\r\n\r\n`;
      statuses.add(statusOf(await rawExchange(port(g), head + body, 100)));
    }
    assert.deepEqual([...statuses], [200]);
    const hosts = (await g.adminGet('/clusters')).json<HostView>();
    assert.equal(hosts.clusters[0]!.hosts[0]!.ejected, false);
    const routes = (await g.adminGet('/routes')).json<RouteView>();
    assert.equal(routes.routes[0]!.breaker!.state, 'closed');
    assert.equal((await g.get('/normal')).status, 200);
  });

  it('a local error (undici refuses what we hand it) is a 500 LE reply, counted, never retried or charged to the host', async () => {
    const up = await new RawUpstream().start();
    // A host_rewrite with a control character: undici refuses the header (UND_ERR_INVALID_ARG).
    const g = await gateway(strictConfig(up.host, { host_rewrite: 'bad\u0001host' }));
    for (let i = 0; i < 5; i++) {
      const r = await g.get('/x');
      assert.equal(r.status, 500);
      assert.equal(r.text, 'gateway error before the upstream: UND_ERR_INVALID_ARG');
    }
    assert.equal(up.requests.length, 0);
    const hosts = (await g.adminGet('/clusters')).json<HostView>();
    assert.equal(hosts.clusters[0]!.hosts[0]!.ejected, false);
    const routes = (await g.adminGet('/routes')).json<RouteView>();
    assert.equal(routes.routes[0]!.breaker!.state, 'closed');
    const prom = (await g.adminGet('/stats/prometheus')).text;
    assert.match(prom, /brownout_local_errors_total\{route="all",code="UND_ERR_INVALID_ARG"\} 5/);
    assert.match(prom, /brownout_local_replies_total\{route="all",flag="LE"\} 5/);
    assert.doesNotMatch(prom, /brownout_upstream_resets_total\{/);
    assert.doesNotMatch(prom, /brownout_retries_total\{/);
  });
});
