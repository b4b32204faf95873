import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { GatewayConfigInput } from '@brownout/core/config';
import { redisServer } from '@brownout/control-plane/testing';
import { ADMIN_TOKEN, eventually, gateway, hostsOf, sleep, upstreams, type RunningGateway } from './harness.ts';

// Hostile input, round two (issue 23): each case is what an attacker or a tired operator did
// against main, and failed there.

const cfg = (hosts: string[], listener: GatewayConfigInput['listener'] = {}): GatewayConfigInput => ({
  listener,
  clusters: [{ name: 'api', hosts }],
  routes: [
    {
      name: 'products',
      match: { prefix: '/products' },
      cluster: 'api',
      degradation: { mode: 'default', default_response: { headers: { 'content-type': 'application/json' }, body: '{"path":"{{path}}","items":[]}' } },
    },
    { name: 'page', match: { prefix: '/page' }, cluster: 'api', degradation: { mode: 'default', default_response: { headers: { 'content-type': 'text/html' }, body: '<p>{{path}}</p>' } } },
    { name: 'shout', match: { prefix: '/Shout', case_sensitive: false }, cluster: 'api', degradation: { mode: 'reject' } },
    { name: 'rest', match: { prefix: '/' }, cluster: 'api' },
  ],
});

const portOf = (g: RunningGateway): number => (g.gw.publicApp.server.address() as AddressInfo).port;

/** A raw client: sends `data`, collects what comes back, tells when the gateway closed its side. */
function raw(port: number, data?: string): { sock: net.Socket; text: () => string; closed: Promise<void> } {
  const sock = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  let text = '';
  sock.on('data', d => (text += d.toString('latin1')));
  sock.on('error', () => undefined);
  const closed = new Promise<void>(resolve => {
    sock.once('end', resolve);
    sock.once('close', resolve);
  });
  if (data !== undefined) sock.write(data);
  return { sock, text: () => text, closed };
}

const connections = (g: RunningGateway): Promise<number> =>
  new Promise((resolve, reject) => {
    g.gw.publicApp.server.getConnections((err, n) => {
      if (err) reject(err);
      else resolve(n);
    });
  });

async function call(admin: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  const r = await fetch(admin + path, { method, headers, ...(body !== undefined && { body }) });
  return { status: r.status, text: await r.text() };
}
const patch = (g: RunningGateway, body: unknown, auth = `Bearer ${ADMIN_TOKEN}`) =>
  call(g.admin, 'PATCH', '/switches', { authorization: auth, 'content-type': 'application/json' }, typeof body === 'string' ? body : JSON.stringify(body));

describe('hostile input, round two', () => {
  it('a request the parser refuses does not pin a descriptor: 200 held sockets leave no server connection behind', async () => {
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)));
    const clients = Array.from({ length: 200 }, () => raw(portOf(g), 'GET /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: bogus\r\n\r\n'));
    // Each gets its 400, and the gateway closes its side although the clients keep theirs open.
    await Promise.all(clients.map(c => c.closed));
    for (const c of clients) assert.match(c.text(), /^HTTP\/1\.1 400 /);
    await eventually(async () => (await connections(g)) === 0, 3_000, 'the gateway to drop every refused connection');
    for (const c of clients) c.sock.destroy();
    assert.equal((await g.get('/x')).status, 200, 'still serving');
  });

  it('a header trickle is cut with 408 at request_headers_timeout, promptly; a body trickle at request_timeout', async () => {
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups), { request_headers_timeout: '1s', request_timeout: '2s' }));
    const t0 = Date.now();
    const h = raw(portOf(g), 'GET /a HTTP/1.1\r\n');
    const trickle = setInterval(() => h.sock.write('X-A: b\r\n'), 200);
    await h.closed;
    clearInterval(trickle);
    const headerMs = Date.now() - t0;
    assert.match(h.text(), /^HTTP\/1\.1 408 /);
    assert.ok(headerMs >= 900 && headerMs < 2_500, `cut after ${headerMs} ms (Node's own check runs every 30 s)`);

    const t1 = Date.now();
    const b = raw(portOf(g), 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n');
    const drip = setInterval(() => b.sock.write('x'), 300);
    await b.closed;
    clearInterval(drip);
    const bodyMs = Date.now() - t1;
    assert.ok(bodyMs >= 1_900 && bodyMs < 4_000, `body trickle cut after ${bodyMs} ms`);
    assert.match(b.text(), /408|^$/, b.text());
    await eventually(async () => (await connections(g)) === 0, 2_000, 'no connection left');
    assert.equal(ups[0]!.hits, 0, 'neither trickle reached the upstream');
  });

  it('a client that stops reading is cut at send_timeout, and its upstream request with it; a slow reader is not', { timeout: 30_000 }, async () => {
    // 64 MiB per answer, written as the socket takes it: far more than loopback's socket buffers.
    const mib = Buffer.alloc(1 << 20, 0x61);
    let upstreamAborted = 0;
    const upstream = http.createServer((_req, res) => {
      let n = 0;
      res.on('close', () => {
        if (!res.writableFinished) upstreamAborted++;
      });
      const pump = (): void => {
        while (n < 64) {
          n++;
          if (!res.write(mib)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>(r => upstream.listen(0, '127.0.0.1', r));
    after(() => {
      upstream.closeAllConnections();
      upstream.close();
    });
    const g = await gateway(cfg([`127.0.0.1:${(upstream.address() as AddressInfo).port}`], { send_timeout: '1s' }));
    const ask = (): { sock: net.Socket; bytes: () => number; closedAt: Promise<void> } => {
      const sock = net.connect({ host: '127.0.0.1', port: portOf(g) });
      let bytes = 0;
      sock.on('data', (d: Buffer) => (bytes += d.length));
      sock.on('error', () => undefined);
      sock.write('GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      return { sock, bytes: () => bytes, closedAt: new Promise(resolve => sock.once('close', () => { resolve(); })) };
    };
    // The stalled client takes its first bytes, then nothing. (Paused, it would not notice the
    // gateway closing: the gateway's end of its connection is watched instead.)
    const stalledServerSide = new Promise<number>(resolve => {
      g.gw.publicApp.server.once('connection', (s: net.Socket) => s.once('close', () => { resolve(Date.now()); }));
    });
    const stalled = ask();
    await eventually(() => stalled.bytes() > 0, 3_000, 'the first bytes');
    stalled.sock.pause();
    const stalledFrom = Date.now();
    // The slow reader takes a little every 300 ms: never a second without progress.
    const slow = ask();
    slow.sock.pause();
    const sip = setInterval(() => {
      slow.sock.resume();
      setTimeout(() => slow.sock.pause(), 5);
    }, 300);
    const cutAfter = (await stalledServerSide) - stalledFrom;
    assert.ok(cutAfter >= 1_000 && cutAfter < 3_500, `the stalled client cut after ${cutAfter} ms (send_timeout 1 s, checked every second)`);
    await eventually(() => upstreamAborted === 1, 3_000, 'the stalled answer\'s upstream request aborted, its connection released');
    await sleep(1_500);
    clearInterval(sip);
    // Never cut: it gets the whole answer (it may have finished already: 5 ms of reading moves megabytes).
    slow.sock.resume();
    await slow.closedAt;
    assert.ok(slow.bytes() > 64 << 20, `the slow reader got the whole answer (${slow.bytes()} bytes)`);
    const metrics = await (await fetch(`${g.admin}/stats/prometheus`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    assert.match(metrics, /^brownout_downstream_send_timeouts_total 1$/m, 'only the stalled client was cut');
  });

  it('HTTP/1.0 with Transfer-Encoding and a second Host header are refused (400) and the connection closed', async () => {
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)));
    const a = raw(portOf(g), 'POST /a HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\nGET /b HTTP/1.0\r\nHost: x\r\n\r\n');
    await a.closed;
    assert.match(a.text(), /^HTTP\/1\.[01] 400 [^]*Transfer-Encoding in an HTTP\/1\.0 request/);
    assert.equal(a.text().match(/HTTP\/1\.[01] \d{3}/g)?.length, 1, 'nothing served after it on that connection');
    const b = raw(portOf(g), 'GET /a HTTP/1.1\r\nHost: one.example\r\nhost: two.example\r\n\r\n');
    await b.closed;
    assert.match(b.text(), /^HTTP\/1\.1 400 [^]*more than one Host header/);
    assert.equal(ups[0]!.hits, 0);
    assert.equal((await g.get('/x', { host: 'one.example' })).status, 200, 'one Host is fine');
  });

  it('admin auth: a lower-case scheme works, a token of the wrong length is refused like any wrong token', async () => {
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)));
    assert.equal((await call(g.admin, 'GET', '/switches', { authorization: `bearer ${ADMIN_TOKEN}` })).status, 200);
    assert.equal((await call(g.admin, 'GET', '/switches', { authorization: `BEARER  ${ADMIN_TOKEN}` })).status, 200);
    for (const t of ['x', `${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1), '']) assert.equal((await call(g.admin, 'GET', '/switches', { authorization: `Bearer ${t}` })).status, 401, t);
    assert.equal((await call(g.admin, 'GET', '/switches', { authorization: `Basic ${ADMIN_TOKEN}` })).status, 401);
  });

  it('a PATCH with __proto__ is refused by name, bad JSON says where; nothing is written', async () => {
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)));
    const proto = await patch(g, '{"global_level":1,"__proto__":{"global_level":3}}');
    assert.equal(proto.status, 400);
    assert.match(proto.text, /__proto__.{0,3} is not allowed/);
    const bad = await patch(g, '{"global_level":1,}');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /not valid JSON: .*position/);
    assert.equal((await g.adminGet('/switches')).json<{ version: number }>().version, 0);
  });

  it('an expired route switch never blocks the next PATCH (embedded and fleet), and /switches says it is not in force', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    for (const g of [await gateway(cfg(hostsOf(ups))), await gateway(cfg(hostsOf(ups)), { redisUrl: redis.url })]) {
      const expires_at = new Date(Date.now() + 800).toISOString();
      const set = await patch(g, { routes: { products: { mode: 'reject', reason: 'short', actor: 'ana', expires_at } } });
      assert.equal(set.status, 200, set.text);
      assert.equal((await g.get('/products/1')).status, 503);
      await sleep(1_000);
      assert.equal((await g.get('/products/1')).status, 200, 'expired: not enforced');
      const view = (await g.adminGet('/switches')).json<{ routes_in_force: string[]; expired_routes: string[] }>();
      assert.deepEqual([view.routes_in_force, view.expired_routes], [[], ['products']]);
      // The operator's next flip, mid-incident.
      const flip = await patch(g, { global_level: 1 });
      assert.equal(flip.status, 200, flip.text);
      const doc = (await g.adminGet('/switches')).json<{ document: { global_level: number; routes: Record<string, unknown> } }>().document;
      assert.equal(doc.global_level, 1);
      assert.deepEqual(doc.routes, {}, 'the expired override was dropped, not re-sent');
    }
  });

  it('refuses an expiry years ahead and a javascript: ticket, naming the field', async () => {
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)));
    const far = await patch(g, { routes: { products: { mode: 'reject', reason: 'r', actor: 'a', expires_at: '9999-12-31T00:00:00Z' } } });
    assert.equal(far.status, 400);
    assert.match(far.text, /routes\.products\.expires_at.*more than 30 days ahead/);
    const js = await patch(g, { routes: { products: { mode: 'reject', reason: 'r', actor: 'a', ticket: 'javascript:alert(1)' } } });
    assert.equal(js.status, 400);
    assert.match(js.text, /routes\.products\.ticket.*http/);
    const ok = await patch(g, { routes: { products: { mode: 'reject', reason: 'r', actor: 'a', ticket: 'https://tickets.example/INC-1', expires_at: new Date(Date.now() + 86_400_000).toISOString() } } });
    assert.equal(ok.status, 200, ok.text);
  });

  it('{{path}} is escaped for the fallback body\'s content type: no JSON or HTML injection', async () => {
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)));
    assert.equal((await patch(g, { routes: { products: { mode: 'default', reason: 'r', actor: 'a' }, page: { mode: 'default', reason: 'r', actor: 'a' } } })).status, 200);
    // Sent raw: the bytes an attacker types, not what a URL library would encode.
    const evil = '/products/"},"admin":true,"x":{"a":"<script>';
    const j = raw(portOf(g), `GET ${evil} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    await j.closed;
    assert.match(j.text(), /^HTTP\/1\.1 200 /, j.text());
    const text = j.text().slice(j.text().indexOf('\r\n\r\n') + 4);
    const body = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['path', 'items'], text);
    assert.equal(body.path, evil);
    assert.doesNotMatch(text, /<script>/);
    const h2 = raw(portOf(g), 'GET /page/<img> HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await h2.closed;
    assert.match(h2.text(), /<p>\/page\/&lt;img&gt;<\/p>$/);
  });

  it('case_sensitive: false matches a prefix in any case, so /SHOUT cannot dodge the route\'s policy', async () => {
    const ups = await upstreams(1);
    const g = await gateway(cfg(hostsOf(ups)));
    assert.equal((await patch(g, { routes: { shout: { mode: 'reject', reason: 'r', actor: 'a' } } })).status, 200);
    for (const p of ['/shout', '/SHOUT/x', '/Shout']) assert.equal((await g.get(p)).status, 503, p);
    assert.equal((await g.get('/products/1')).status, 200, 'case-sensitive routes unchanged');
  });

  it('the access log reaches its file within about a second at low traffic, without a shutdown', async () => {
    const ups = await upstreams(1);
    const file = join(mkdtempSync(join(tmpdir(), 'brownout-alog-')), 'access.log');
    const g = await gateway(cfg(hostsOf(ups)), { accessLog: file });
    assert.equal((await g.get('/one-request')).status, 200);
    await eventually(() => existsSync(file) && readFileSync(file, 'utf8').includes('/one-request'), 2_500, 'the line on disk');
  });
});
