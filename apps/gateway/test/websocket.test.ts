import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { eventually, gateway, sleep } from './harness.ts';
import { TestCa } from './test-ca.ts';

/** A WebSocket echo upstream on loopback that records each handshake's headers; `/deny` is refused (401). */
async function echoServer(name: string): Promise<{ port: number; handshakes: IncomingHttpHeaders[]; connections: number; close(): Promise<void> }> {
  // `/deny` is refused with 401, `…/fail` with 500 (an upstream failure for the breaker).
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, code?: number) => void) => {
      const url = info.req.url ?? '';
      if (url === '/deny') done(false, 401);
      else if (url.endsWith('/fail')) done(false, 500);
      else done(true);
    },
  });
  const state = { handshakes: [] as IncomingHttpHeaders[], connections: 0 };
  wss.on('connection', (ws, req) => {
    state.connections++;
    state.handshakes.push(req.headers);
    // A client's garbage frames are the upstream's to refuse (ws closes with 1002); not a test failure.
    ws.on('error', () => undefined);
    ws.on('message', (m: Buffer) => {
      ws.send(`${name}:${m.toString()}`);
    });
  });
  await new Promise<void>(r => wss.once('listening', () => { r(); }));
  const port = (wss.address() as AddressInfo).port;
  const close = (): Promise<void> => new Promise(r => {
    for (const c of wss.clients) c.terminate();
    wss.close(() => { r(); });
  });
  after(close);
  return { port, get handshakes() { return state.handshakes; }, get connections() { return state.connections; }, close };
}

/** A port with nothing listening (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>(r => s.listen(0, '127.0.0.1', () => { r(); }));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>(r => s.close(() => { r(); }));
  return port;
}

interface Opened { ws: WebSocket; headers: IncomingHttpHeaders }

function open(url: string): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let headers: IncomingHttpHeaders = {};
    ws.on('upgrade', res => { headers = res.headers; });
    ws.on('open', () => { resolve({ ws, headers }); });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => { reject(Object.assign(new Error(`status ${res.statusCode}: ${body}`), { status: res.statusCode, headers: res.headers, body })); });
    });
    ws.on('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise(r => ws.once('message', (m: Buffer) => { r(m.toString()); }));
}

const wsRoute = { name: 'chat', match: { prefix: '/' }, cluster: 'api', upgrade_configs: [{ upgrade_type: 'websocket' }] };

describe('WebSocket pass-through (upgrade_configs)', () => {
  it('echoes through the gateway to a host the engine picks, with the request id and forwarded-for, and is counted', async () => {
    const a = await echoServer('a');
    const g = await gateway({ clusters: [{ name: 'api', hosts: [`127.0.0.1:${a.port}`] }], routes: [wsRoute] });
    const { ws, headers } = await open(`${g.url.replace('http', 'ws')}/chat?room=1`);
    ws.send('hello');
    assert.equal(await nextMessage(ws), 'a:hello');
    // Many frames both ways, in order: bytes pass untouched.
    const got: string[] = [];
    ws.on('message', (m: Buffer) => got.push(m.toString()));
    for (let i = 0; i < 50; i++) ws.send(`m${i}`);
    await eventually(() => got.length === 50, 3_000, '50 echoes');
    assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => `a:m${i}`));
    const up = a.handshakes[0]!;
    assert.match(String(headers['x-request-id']), /^[0-9a-f-]{36}$/, 'the client gets a request id on its 101');
    assert.equal(up['x-request-id'], headers['x-request-id'], 'the upstream gets the same id');
    assert.equal(up['x-forwarded-for'], '127.0.0.1');
    assert.equal(up['x-forwarded-proto'], 'http');
    const prom = (await g.adminGet('/stats/prometheus')).text;
    assert.match(prom, /brownout_upgrades_total\{route="chat",upgrade_type="websocket"\} 1/);
    assert.match(prom, /brownout_upgrades_active 1/);
    ws.close();
    await eventually(() => g.gw.tunnels.size === 0, 3_000, 'the tunnel to close');
    assert.match((await g.adminGet('/stats/prometheus')).text, /brownout_upgrades_active 0/);
  });

  it('wss: an upgrade over the TLS listener that also speaks h2 (codec_type AUTO) is tunnelled too', async () => {
    const ca = new TestCa();
    const leaf = ca.issue('gw');
    const a = await echoServer('a');
    const g = await gateway({
      listener: { tls: { certificate_chain: { filename: leaf.cert }, private_key: { filename: leaf.key } } },
      clusters: [{ name: 'api', hosts: [`127.0.0.1:${a.port}`] }],
      routes: [wsRoute],
    });
    const ws = new WebSocket(`${g.url.replace('http', 'wss')}/secure`, { ca: ca.pem('ca.pem') });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => { resolve(); });
      ws.once('error', reject);
    });
    ws.send('tls');
    assert.equal(await nextMessage(ws), 'a:tls');
    assert.equal(a.handshakes[0]!['x-forwarded-proto'], 'https');
    ws.close();
  });

  it('idle_timeout closes a tunnel with no bytes either way (flag SI), and traffic in either direction keeps it open', async () => {
    const a = await echoServer('a');
    const g = await gateway({ clusters: [{ name: 'api', hosts: [`127.0.0.1:${a.port}`] }], routes: [{ ...wsRoute, idle_timeout: '400ms' }] });
    const busy = (await open(`${g.url.replace('http', 'ws')}/busy`)).ws;
    const quiet = (await open(`${g.url.replace('http', 'ws')}/quiet`)).ws;
    const quietClosed = new Promise<number>(r => quiet.once('close', code => { r(code); }));
    let busyClosed = false;
    busy.once('close', () => { busyClosed = true; });
    // 1 s of a message every 150 ms on one, silence on the other.
    for (let i = 0; i < 7; i++) {
      busy.send(`k${i}`);
      await nextMessage(busy);
      await sleep(150);
    }
    await quietClosed;
    assert.equal(busyClosed, false, 'a tunnel carrying bytes stays open past idle_timeout');
    const prom = (await g.adminGet('/stats/prometheus')).text;
    assert.match(prom, /brownout_local_replies_total\{route="chat",flag="SI"\} 1/);
    busy.close();
  });

  it('a cluster with tls: the tunnel goes over TLS to the host, and a certificate that does not verify is a connect failure (503, charged)', async () => {
    const ca = new TestCa();
    ca.issue('upstream');
    const server = createHttpsServer({ cert: ca.pem('upstream.pem'), key: ca.pem('upstream.key') });
    const wss = new WebSocketServer({ server });
    wss.on('connection', ws => {
      ws.on('error', () => undefined);
      ws.on('message', (m: Buffer) => { ws.send(`tls:${m.toString()}`); });
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => { r(); }));
    after(() => new Promise<void>(r => {
      for (const c of wss.clients) c.terminate();
      server.close(() => { r(); });
    }));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const g = await gateway({
      clusters: [{ name: 'api', hosts: [host], tls: { trusted_ca: { filename: ca.file('ca.pem') } } }, { name: 'untrusted', hosts: [host], tls: {} }],
      routes: [{ ...wsRoute, name: 'bad', match: { prefix: '/bad' }, cluster: 'untrusted' }, wsRoute],
    });
    const { ws } = await open(`${g.url.replace('http', 'ws')}/ok`);
    ws.send('hi');
    assert.equal(await nextMessage(ws), 'tls:hi');
    ws.close();
    const e = await open(`${g.url.replace('http', 'ws')}/bad`).then(() => undefined, (err: unknown) => err as { status: number; body: string });
    assert.equal(e?.status, 503);
    assert.match(e.body, /remote connection failure, transport failure reason: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/);
    assert.equal(g.gw.engine.clusters.get('untrusted')!.hostStatuses()[0]!.stats.cx_connect_fail, 1);
  });

  it('an upgrade the breaker let through but the connection limit refused gives the half-open probe slot back', async () => {
    const a = await echoServer('a');
    const g = await gateway({
      clusters: [{ name: 'api', hosts: [`127.0.0.1:${a.port}`], circuit_breakers: { thresholds: [{ max_connections: 1 }] } }],
      routes: [
        { name: 'probe', match: { prefix: '/probe' }, cluster: 'api', upgrade_configs: [{ upgrade_type: 'websocket' }], circuit_breaker: { consecutive_failures: 1, open_duration: '200ms' } },
        { name: 'hold', match: { prefix: '/hold' }, cluster: 'api', upgrade_configs: [{ upgrade_type: 'websocket' }] },
      ],
    });
    const ws = g.url.replace('http', 'ws');
    const failed = await open(`${ws}/probe/fail`).then(() => undefined, (e: unknown) => e as { status: number });
    assert.equal(failed?.status, 500, 'the upstream refused with 500: the breaker opens');
    assert.equal(g.gw.engine.routes.find(r => r.name === 'probe')!.breaker!.current, 'open');
    await eventually(() => g.gw.tunnels.size === 0, 2_000, 'the failed handshake to close');
    const held = (await open(`${ws}/hold`)).ws; // takes the cluster's only connection
    await sleep(250); // the breaker may probe now
    const overflow = await open(`${ws}/probe/x`).then(() => undefined, (e: unknown) => e as { status: number; body: string });
    assert.equal(overflow?.status, 503);
    assert.match(overflow.body, /overflow/);
    held.close();
    await eventually(() => g.gw.tunnels.size === 0, 2_000, 'the held tunnel to close');
    const probe = await open(`${ws}/probe/ok`);
    probe.ws.send('p');
    assert.equal(await nextMessage(probe.ws), 'a:p', 'the probe went through: its slot was given back');
    assert.equal(g.gw.engine.routes.find(r => r.name === 'probe')!.breaker!.current, 'closed');
    probe.ws.close();
  });

  it('a route without upgrade_configs refuses the upgrade (403 UPG) and a disabled entry too', async () => {
    const a = await echoServer('a');
    const g = await gateway({
      clusters: [{ name: 'api', hosts: [`127.0.0.1:${a.port}`] }],
      routes: [{ name: 'off', match: { prefix: '/off' }, cluster: 'api', upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }] }, { name: 'plain', match: { prefix: '/' }, cluster: 'api' }],
    });
    for (const path of ['/off', '/x']) {
      const e = await open(`${g.url.replace('http', 'ws')}${path}`).then(() => undefined, (err: unknown) => err as { status: number; body: string });
      assert.equal(e?.status, 403, path);
      assert.match(e.body, /upgrade to "websocket" is not allowed on this route/);
    }
    assert.equal(a.connections, 0);
  });

  it('an upstream that refuses the upgrade hands its answer to the client; a refused connection is a connect failure that ejects the host, never retried', async () => {
    const a = await echoServer('a');
    const dead = await deadPort();
    const g = await gateway({
      clusters: [{
        name: 'api',
        hosts: [`127.0.0.1:${a.port}`, `127.0.0.1:${dead}`],
        lb_policy: 'ROUND_ROBIN',
        outlier_detection: { consecutive_5xx: 2, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 50 },
      }],
      routes: [wsRoute],
    });
    const denied = await open(`${g.url.replace('http', 'ws')}/deny`).then(() => undefined, (err: unknown) => err as { status: number });
    assert.ok(denied?.status === 401 || denied?.status === 503, `the upstream's 401 or the dead host's 503, got ${denied?.status}`);
    let failed = 0;
    let ok = 0;
    for (let i = 0; i < 10; i++) {
      try {
        const { ws } = await open(`${g.url.replace('http', 'ws')}/chat`);
        ok++;
        ws.close();
      } catch (e) {
        const err = e as { status: number; body: string };
        assert.equal(err.status, 503);
        assert.match(err.body, /reset reason: remote connection failure, transport failure reason: ECONNREFUSED/);
        failed++;
      }
    }
    // Never retried: a connection that failed reached no host, and the dead host is out after two.
    assert.ok(failed >= 1 && failed <= 2, `failed ${failed}`);
    assert.equal(ok + failed, 10);
    const dh = g.gw.engine.clusters.get('api')!.hostStatuses().find(h => h.port === dead)!;
    assert.equal(dh.ejected, true, 'the refusing host is ejected');
    assert.equal(dh.stats.cx_connect_fail, failed + (denied.status === 503 ? 1 : 0));
    const prom = (await g.adminGet('/stats/prometheus')).text;
    assert.match(prom, /brownout_upstream_resets_total\{cluster="api",host="127\.0\.0\.1:\d+",kind="connect_failure"\} [12]/);
  });

  it('a client that resets mid-handshake or sends garbage charges nothing to the host and leaves no tunnel behind', async () => {
    const a = await echoServer('a');
    const g = await gateway({ clusters: [{ name: 'api', hosts: [`127.0.0.1:${a.port}`], outlier_detection: { consecutive_5xx: 1, interval: '10s' } }], routes: [wsRoute] });
    const port = Number(new URL(g.url).port);
    for (let i = 0; i < 20; i++) {
      const s: Socket = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.write('GET /chat HTTP/1.1\r\nhost: a\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
      if (i % 2 === 0) s.destroy();
      else s.write(Buffer.alloc(4096, 0xff), () => s.destroy());
    }
    await sleep(300);
    await eventually(() => g.gw.tunnels.size === 0, 3_000, 'every tunnel to close');
    const h = g.gw.engine.clusters.get('api')!.hostStatuses()[0]!;
    assert.equal(h.ejected, false);
    assert.equal(h.stats.rq_error, 0, 'nothing charged to the host');
    const { ws } = await open(`${g.url.replace('http', 'ws')}/chat`);
    ws.send('still');
    assert.equal(await nextMessage(ws), 'a:still');
    ws.close();
  });

  it('a route switched to a degraded mode refuses upgrades with 503 and says why', async () => {
    const a = await echoServer('a');
    const g = await gateway({ clusters: [{ name: 'api', hosts: [`127.0.0.1:${a.port}`] }], routes: [wsRoute] });
    assert.equal((await g.adminPut('/switches', { routes: { chat: { mode: 'reject', reason: 'incident', actor: 't' } } })).status, 200);
    const e = await open(`${g.url.replace('http', 'ws')}/chat`).then(() => undefined, (err: unknown) => err as { status: number; headers: IncomingHttpHeaders });
    assert.equal(e?.status, 503);
    assert.match(String(e.headers['x-brownout-degraded']), /^reject; .*reason=switch/);
    assert.equal(a.connections, 0);
  });

  it('shutdown: an open tunnel keeps carrying frames during the drain and is closed at the deadline', async () => {
    const a = await echoServer('a');
    const g = await gateway({ clusters: [{ name: 'api', hosts: [`127.0.0.1:${a.port}`] }], routes: [wsRoute] });
    const { ws } = await open(`${g.url.replace('http', 'ws')}/chat`);
    ws.send('before');
    assert.equal(await nextMessage(ws), 'a:before');
    const closed = new Promise<number>(r => ws.once('close', code => { r(code); }));
    const started = Date.now();
    const shutdown = g.gw.close(600);
    // During the drain the open tunnel still carries frames.
    ws.send('during');
    assert.equal(await nextMessage(ws), 'a:during');
    await closed;
    await shutdown;
    const took = Date.now() - started;
    assert.ok(took >= 500 && took < 3_000, `closed at the deadline (${took} ms)`);
    assert.equal(g.gw.tunnels.size, 0);
  });
});
