import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSecureServer, createServer as createH2cServer, constants, type Http2Server, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gateway } from './harness.ts';
import { TestCa } from './test-ca.ts';

// HTTP/2 to upstreams (cluster `http2_protocol_options`): h2 by ALPN over TLS, h2c in cleartext,
// HTTP/1.1 fallback where a host does not offer h2; health checks, retries and outlier detection
// over h2.

const ca = new TestCa();
before(() => {
  ca.issue('upstream');
});

type Mode = 'ok' | '503' | 'reset' | 'refuse-stream';
interface H2Upstream { port: number; versions: string[]; sessions: number; trafficSessions: Set<unknown>; mode: Mode; lastHeaders: Record<string, unknown> }

async function h2Upstream(secure: boolean, allowHTTP1 = false): Promise<H2Upstream> {
  const state: H2Upstream = { port: 0, versions: [], sessions: 0, trafficSessions: new Set(), mode: 'ok', lastHeaders: {} };
  const handler = (req: Http2ServerRequest, res: Http2ServerResponse): void => {
    if (req.url !== '/healthz') {
      state.versions.push(req.httpVersion);
      state.trafficSessions.add(req.stream.session);
      state.lastHeaders = req.headers;
    }
    if ((state.mode === 'reset' || state.mode === 'refuse-stream') && req.url !== '/healthz') {
      req.stream.close(state.mode === 'reset' ? constants.NGHTTP2_INTERNAL_ERROR : constants.NGHTTP2_REFUSED_STREAM);
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.writeHead(state.mode === '503' && req.url !== '/healthz' ? 503 : 200, { 'content-type': 'text/plain' });
      res.end(`h2:${req.method}:${body.length}`);
    });
  };
  const server: Http2Server | Http2SecureServer = secure
    ? createSecureServer({ cert: ca.pem('upstream.pem'), key: ca.pem('upstream.key'), allowHTTP1 }, handler)
    : createH2cServer(handler);
  server.on('session', () => { state.sessions++; });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', () => { r(); }));
  state.port = (server.address() as AddressInfo).port;
  after(() => new Promise<void>(r => {
    server.close(() => { r(); });
    // Sessions the gateway keeps open would hold close() forever on Node 20.
    setTimeout(r, 200).unref();
  }));
  return state;
}

const tlsBlock = (): Record<string, unknown> => ({ trusted_ca: { filename: ca.file('ca.pem') } });
const hc = { health_checks: [{ interval: '200ms', timeout: '100ms', unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/healthz' } }] };

describe('HTTP/2 to upstreams (http2_protocol_options)', () => {
  it('h2 over TLS: requests multiplex on one connection, bodies pass, and the h2-only host passes its health check', async () => {
    const up = await h2Upstream(true);
    const g = await gateway({
      clusters: [{ name: 'api', hosts: [`127.0.0.1:${up.port}`], tls: tlsBlock(), http2_protocol_options: {}, ...hc }],
      routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }],
    });
    const r = await g.get('/x', {}, 'POST', 'hello');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'h2:POST:5');
    assert.equal(up.versions[0], '2.0');
    assert.equal(Object.keys(up.lastHeaders).includes('connection'), false);
    const many = await Promise.all(Array.from({ length: 30 }, (_, i) => g.get(`/m/${i}`)));
    assert.deepEqual(new Set(many.map(m => m.status)), new Set([200]));
    assert.equal(up.trafficSessions.size, 1, 'one connection carried all 31 requests');
    await new Promise(r2 => setTimeout(r2, 300));
    const h = g.gw.engine.clusters.get('api')!.hostStatuses()[0]!;
    assert.equal(h.healthy, true, 'checked over h2');
  });

  it('h2c (cleartext, prior knowledge) when the cluster has no tls', async () => {
    const up = await h2Upstream(false);
    const g = await gateway({ clusters: [{ name: 'api', hosts: [`127.0.0.1:${up.port}`], http2_protocol_options: {} }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    const r = await g.get('/c');
    assert.equal(r.status, 200, r.text);
    assert.equal(up.versions[0], '2.0');
  });

  it('a TLS host that does not offer h2 fails the connection (as Envoy with explicit http2_protocol_options), counted as a connect failure', async () => {
    let served = 0;
    const server: HttpsServer = createHttpsServer({ cert: ca.pem('upstream.pem'), key: ca.pem('upstream.key') }, (_req, res) => {
      served++;
      res.end('h1');
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => { r(); }));
    after(() => new Promise<void>(r => { server.closeAllConnections(); server.close(() => { r(); }); }));
    const g = await gateway({
      clusters: [{ name: 'api', hosts: [`127.0.0.1:${(server.address() as AddressInfo).port}`], tls: tlsBlock(), http2_protocol_options: {} }],
      routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }],
    });
    const r = await g.get('/f');
    assert.equal(r.status, 503);
    assert.match(r.text, /remote connection failure, transport failure reason: ERR_TLS_ALPN_NO_H2/);
    assert.equal(served, 0, 'no HTTP/1.1 request was sent');
    assert.ok(g.gw.engine.clusters.get('api')!.hostStatuses()[0]!.stats.cx_connect_fail >= 1);
  });

  it('retries and outlier detection over h2: a 503 host and a host that resets its streams are retried around and ejected', async () => {
    const good = await h2Upstream(true);
    const bad = await h2Upstream(true);
    const resetting = await h2Upstream(true);
    bad.mode = '503';
    resetting.mode = 'reset';
    const g = await gateway({
      clusters: [{
        name: 'api',
        hosts: [good, bad, resetting].map(u => `127.0.0.1:${u.port}`),
        tls: tlsBlock(),
        http2_protocol_options: {},
        outlier_detection: { consecutive_5xx: 2, interval: '10s', max_ejection_percent: 67 },
      }],
      routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', retry_policy: { retry_on: '5xx,reset', num_retries: 3 } }],
    });
    for (let i = 0; i < 12; i++) assert.equal((await g.get(`/r/${i}`)).status, 200);
    const st = g.gw.engine.clusters.get('api')!.hostStatuses();
    assert.equal(st.find(h => h.port === bad.port)!.ejected, true, 'the 503 host is out');
    assert.equal(st.find(h => h.port === resetting.port)!.ejected, true, 'the resetting host is out');
    assert.equal(st.find(h => h.port === good.port)!.ejected, false);
  });

  it('a stream the host refuses (RST_STREAM REFUSED_STREAM) is retried under retry_on refused-stream, and said so when it is not', async () => {
    const good = await h2Upstream(true);
    const refusing = await h2Upstream(true);
    refusing.mode = 'refuse-stream';
    const cluster = (hosts: H2Upstream[]) => ({ name: 'api', hosts: hosts.map(u => `127.0.0.1:${u.port}`), lb_policy: 'ROUND_ROBIN' as const, tls: tlsBlock(), http2_protocol_options: {} });
    const g = await gateway({ clusters: [cluster([refusing, good])], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', retry_policy: { retry_on: 'refused-stream', num_retries: 1 } }] });
    for (let i = 0; i < 4; i++) assert.equal((await g.get(`/s/${i}`)).status, 200);
    assert.ok(refusing.versions.length >= 1, 'the refusing host was tried');
    const only = await gateway({ clusters: [cluster([refusing])], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    const r = await only.get('/n');
    assert.equal(r.status, 503);
    assert.match(r.text, /reset reason: refused stream/);
  });
});
