import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { connect as h2connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { gateway, hostsOf, upstreams } from './harness.ts';
import { TestCa } from './test-ca.ts';

// HTTP/2 on the public listener: h2 by ALPN next to HTTP/1.1 over TLS, cleartext h2c with prior
// knowledge (codec_type: HTTP2), every path through the engine, local replies, drain, hostile streams.

const ca = new TestCa();
let tls: { certificate_chain: { filename: string }; private_key: { filename: string } };
before(() => {
  const leaf = ca.issue('gw');
  tls = { certificate_chain: { filename: leaf.cert }, private_key: { filename: leaf.key } };
});

interface H2Res { status: number; headers: IncomingHttpHeaders; body: string }

function h2get(session: ClientHttp2Session, path: string, opts: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<H2Res> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': opts.method ?? 'GET', ':path': path, ...opts.headers });
    let headers: IncomingHttpHeaders = {};
    let body = '';
    req.setEncoding('utf8');
    req.on('response', h => { headers = h; });
    req.on('data', (c: string) => (body += c));
    req.on('end', () => { resolve({ status: Number(headers[':status']), headers, body }); });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function session(url: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = h2connect(url, url.startsWith('https') ? { ca: ca.pem('ca.pem') } : {});
    s.once('connect', () => { resolve(s); });
    s.once('error', reject);
  });
}

describe('HTTP/2 downstream', () => {
  it('h2 over TLS (ALPN) and HTTP/1.1 on the same port; the upstream hears HTTP/1.1 with the client authority', async () => {
    const ups = await upstreams(1);
    const g = await gateway({ listener: { tls }, clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    const url = g.url.replace('http:', 'https:');
    const s = await session(url);
    assert.equal(s.alpnProtocol, 'h2');
    const r = await h2get(s, '/items?x=1');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const up = ups[0]!.lastHeaders;
    assert.equal(up.host, new URL(url).host, ':authority becomes Host upstream');
    assert.equal(up['x-forwarded-proto'], 'https');
    assert.equal(Object.keys(up).some(k => k.startsWith(':')), false, 'no pseudo-header reaches the upstream');
    const post = await h2get(s, '/upload', { method: 'POST', body: 'x'.repeat(70_000), headers: { 'content-type': 'text/plain' } });
    assert.equal(post.status, 200);
    assert.equal(ups[0]!.lastBody.length, 70_000, 'a body larger than the stream window arrives whole');
    // HTTP/2 frames a body by DATA frames: neither content-length nor content-type is required (a
    // streamed fetch sends neither). Such an upload used to reach the upstream as `content-length: 0`.
    const bare = await h2get(s, '/upload', { method: 'POST', body: 'y'.repeat(70_000) });
    assert.equal(bare.status, 200);
    assert.equal(ups[0]!.lastBody, 'y'.repeat(70_000), 'an h2 upload without content-length or content-type arrives whole');
    const put = await h2get(s, '/upload', { method: 'PUT', body: 'z', headers: { 'content-type': 'text/plain' } });
    assert.equal(put.status, 200);
    assert.equal(ups[0]!.lastBody, 'z');
    await h2get(s, '/nobody', { method: 'POST' });
    assert.equal(ups[0]!.lastBody, '', 'a POST that ends with its HEADERS has no body');
    // Many streams at once on one connection.
    const many = await Promise.all(Array.from({ length: 40 }, (_, i) => h2get(s, `/m/${i}`)));
    assert.deepEqual(new Set(many.map(m => m.status)), new Set([200]));
    s.close();
    // HTTP/1.1 clients (no ALPN h2) on the same listener.
    const h1 = await new Promise<{ status: number; alpn: unknown }>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: new URL(url).port, path: '/h1', ca: ca.pem('ca.pem'), agent: false }, res => {
        res.resume();
        res.on('end', () => { resolve({ status: res.statusCode!, alpn: (res.socket as unknown as { alpnProtocol: unknown } | null)?.alpnProtocol }); });
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(h1.status, 200);
  });

  it('local replies, retries and ejection work over h2 (no connection-specific header breaks a stream)', async () => {
    const ups = await upstreams(2);
    await ups[0]!.setMode('503');
    const g = await gateway({
      listener: { tls },
      clusters: [{ name: 'api', hosts: hostsOf(ups), outlier_detection: { consecutive_5xx: 3, interval: '10s', max_ejection_percent: 50 } }],
      routes: [
        { name: 'small', match: { prefix: '/small' }, cluster: 'api', max_request_body_bytes: 10 },
        { name: 'r', match: { prefix: '/api' }, cluster: 'api', retry_policy: { retry_on: '5xx', num_retries: 2 } },
      ],
    });
    const s = await session(g.url.replace('http:', 'https:'));
    assert.equal((await h2get(s, '/nowhere')).status, 404);
    const big = await h2get(s, '/small', { method: 'POST', body: 'x'.repeat(100), headers: { 'content-length': '100' } });
    assert.equal(big.status, 413, 'a local reply that closes an HTTP/1.1 connection is a plain answer on a stream');
    for (let i = 0; i < 10; i++) assert.equal((await h2get(s, `/api/${i}`)).status, 200, 'retried to the good host');
    const bad = g.gw.engine.clusters.get('api')!.hostStatuses().find(h => h.port === ups[0]!.address.port)!;
    assert.equal(bad.ejected, true);
    // The session survived all of it.
    assert.equal((await h2get(s, '/api/again')).status, 200);
    s.close();
  });

  it('h2c with prior knowledge (codec_type: HTTP2) with node and curl', async t => {
    const ups = await upstreams(1);
    const g = await gateway({ listener: { codec_type: 'HTTP2' }, clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    const s = await session(g.url);
    const r = await h2get(s, '/c');
    assert.equal(r.status, 200);
    assert.equal(ups[0]!.lastHeaders['x-forwarded-proto'], 'http');
    s.close();
    if (spawnSync('sh', ['-c', 'curl --version | grep -q nghttp2']).status !== 0) {
      t.diagnostic('curl without HTTP/2: the curl half is skipped');
      return;
    }
    // Asynchronously: the gateway answering curl runs in this process.
    const out = await new Promise<string>((resolve, reject) => {
      execFile('curl', ['-s', '--http2-prior-knowledge', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_version} %{http_code}', `${g.url}/curl`], (err, stdout) => {
        if (err) reject(new Error(`curl: ${err.message}`));
        else resolve(stdout);
      });
    });
    assert.equal(out, '2 200');
  });

  it('max_concurrent_streams is advertised, and a burst of reset streams or an oversized header list leaves the gateway serving with nothing charged to the host', async () => {
    const ups = await upstreams(1);
    const g = await gateway({
      listener: { tls, http2_protocol_options: { max_concurrent_streams: 5 } },
      clusters: [{ name: 'api', hosts: hostsOf(ups), outlier_detection: { consecutive_5xx: 1, interval: '10s' } }],
      routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }],
    });
    const s = await session(g.url.replace('http:', 'https:'));
    await new Promise<void>(r => { if (s.remoteSettings.maxConcurrentStreams === 5) r(); else s.once('remoteSettings', () => { r(); }); });
    assert.equal(s.remoteSettings.maxConcurrentStreams, 5);
    // Open and cancel at once, many times (the "rapid reset" pattern).
    for (let i = 0; i < 200; i++) {
      const req = s.request({ ':path': `/rr/${i}` });
      req.on('error', () => undefined);
      req.close(constants.NGHTTP2_CANCEL);
    }
    // A header list over max_header_bytes never reaches the upstream; the gateway keeps serving.
    const big = await session(g.url.replace('http:', 'https:'));
    big.on('error', () => undefined);
    await new Promise(r => setTimeout(r, 300)); // the cancelled streams that did get through have landed
    const hitsBefore = ups[0]!.hits;
    const refused = await h2get(big, '/big', { headers: { 'x-big': 'x'.repeat(40_000) } }).then(r => r.status, (e: unknown) => (e as Error).message);
    assert.notEqual(refused, 200, `an oversized header list is refused (${String(refused)})`);
    assert.equal(ups[0]!.hits, hitsBefore, 'and never proxied');
    big.destroy();
    const fresh = await session(g.url.replace('http:', 'https:'));
    assert.equal((await h2get(fresh, '/after')).status, 200);
    const h = g.gw.engine.clusters.get('api')!.hostStatuses()[0]!;
    assert.equal(h.ejected, false);
    assert.equal(h.stats.rq_error, 0);
    s.destroy();
    fresh.close();
  });

  it('drain: an open h2 session gets GOAWAY, its stream in flight finishes, and close does not wait for the idle session', async () => {
    const ups = await upstreams(1);
    ups[0]!.slowMs = 300;
    await ups[0]!.setMode('slow');
    const g = await gateway({ listener: { tls }, clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    const s = await session(g.url.replace('http:', 'https:'));
    const goaway = new Promise<void>(r => s.once('goaway', () => { r(); }));
    const inflight = h2get(s, '/slow');
    await new Promise(r => setTimeout(r, 50));
    const started = Date.now();
    const closing = g.gw.close(5_000);
    await goaway;
    assert.equal((await inflight).status, 200, 'the stream in flight finished');
    await closing;
    assert.ok(Date.now() - started < 2_000, `closed in ${Date.now() - started} ms, not at the 5 s deadline`);
  });

  it('drain: an HTTP/1.1 request still running on the ALPN listener at the deadline is cut there, not waited for', async () => {
    const ups = await upstreams(1);
    ups[0]!.slowMs = 3_000;
    await ups[0]!.setMode('slow');
    const g = await gateway({ listener: { tls }, clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    const outcome = new Promise<string>(resolve => {
      const req = httpsRequest({ host: '127.0.0.1', port: new URL(g.url).port, path: '/slow', ca: ca.pem('ca.pem'), agent: false }, res => {
        res.resume();
        res.on('end', () => { resolve(`answered ${res.statusCode}`); });
        res.on('error', () => { resolve('cut'); });
      });
      req.on('error', () => { resolve('cut'); });
      req.end();
    });
    await new Promise(r => setTimeout(r, 100));
    const started = Date.now();
    await g.gw.close(400);
    const took = Date.now() - started;
    assert.ok(took >= 350 && took < 2_000, `closed at the deadline (${took} ms), not when the 3 s answer came`);
    assert.equal(await outcome, 'cut');
  });
});
