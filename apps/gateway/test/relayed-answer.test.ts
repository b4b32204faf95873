import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createServer, request, type ServerResponse } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { after } from 'node:test';
import { eventually, gateway, sleep, type RunningGateway } from './harness.ts';
import { RawUpstream, rawExchange, statusOf } from './raw-upstream.ts';

// The upstream's answer is written straight to the client's response (src/proxy/relayed-answer.ts),
// not through reply-from and Fastify's stream pipe: these are the things that path must still do.

const port = (g: RunningGateway): number => (g.gw.publicApp.server.address() as AddressInfo).port;
const GET = 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n';

async function httpUpstream(handler: (res: ServerResponse) => void): Promise<{ port: number; closed: () => number }> {
  let closed = 0;
  const server = createServer((_req, res) => {
    res.on('close', () => {
      closed++;
    });
    handler(res);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, closed: () => closed };
}

describe('relayed answers: the upstream answer written straight to the client', () => {
  it('an answer Node refuses to send (status 600, DEL in a header) is a 502 UPE, and the next answer goes through', async () => {
    const up = await new RawUpstream().start();
    const g = await gateway({
      clusters: [{ name: 'api', hosts: [up.host] }],
      routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }],
    });
    let answer = 'HTTP/1.1 600 Nope\r\ncontent-length: 2\r\n\r\nno';
    up.respond = () => answer;
    const bad = await rawExchange(port(g), GET);
    assert.equal(statusOf(bad), 502, bad);
    assert.match(bad, /upstream answer could not be relayed/);
    assert.match(bad, /x-request-id: /i, 'the local reply keeps the request id');
    answer = 'HTTP/1.1 200 OK\r\nx-odd: a\x7fb\r\ncontent-length: 2\r\n\r\nno';
    const del = await rawExchange(port(g), GET);
    // undici's parser may refuse the byte itself (a reset, 503) or pass it to Node (which refuses: 502); never a 200 carrying it.
    assert.ok([502, 503].includes(statusOf(del)), del);
    assert.doesNotMatch(del, /x-odd/i);
    answer = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';
    const good = await rawExchange(port(g), GET);
    assert.equal(statusOf(good), 200, good);
    assert.ok(good.endsWith('\r\n\r\nok'), good);
  });

  it('keeps repeated headers (two set-cookie), adds the gateway headers, drops hop-by-hop ones; the upstream x-request-id wins', async () => {
    const up = await new RawUpstream().start();
    const g = await gateway({
      clusters: [{ name: 'api', hosts: [up.host] }],
      routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }],
    });
    up.respond = () => 'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nConnection: x-secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\nVary: a\r\nVary: b\r\ncontent-length: 2\r\n\r\nok';
    const res = await rawExchange(port(g), GET);
    assert.equal(statusOf(res), 200);
    const head = res.slice(0, res.indexOf('\r\n\r\n')).toLowerCase();
    assert.match(head, /set-cookie: a=1\r\n/);
    assert.match(head, /set-cookie: b=2/);
    assert.match(head, /vary: a\r\n/);
    assert.match(head, /vary: b/);
    assert.doesNotMatch(head, /x-secret/);
    // Node's own keep-alive header for the client connection, not the upstream's.
    assert.doesNotMatch(head, /keep-alive: timeout=5\r\n/);
    assert.match(head, /x-request-id: [0-9a-f-]{36}/);
    assert.match(head, /x-brownout-attempt-count: 1/);
    up.respond = () => 'HTTP/1.1 200 OK\r\nx-request-id: theirs\r\ncontent-length: 2\r\n\r\nok';
    const theirs = await rawExchange(port(g), GET);
    assert.match(theirs, /x-request-id: theirs\r\n/i);
    assert.equal(theirs.match(/x-request-id/gi)?.length, 1);
  });

  it('a client that goes away mid-answer takes the upstream request down at once, and the host is not blamed', async () => {
    const up = await httpUpstream(res => {
      // An endless answer (a long poll, an event stream): one chunk, then nothing.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
    });
    const g = await gateway({
      clusters: [{ name: 'api', hosts: [`127.0.0.1:${up.port}`], outlier_detection: { consecutive_5xx: 1, consecutive_gateway_failure: 1, interval: '100ms' } }],
      routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', circuit_breaker: { consecutive_failures: 1 } }],
    });
    for (let i = 0; i < 3; i++) {
      const s = connect(port(g), '127.0.0.1');
      s.write(GET);
      await new Promise<void>(r => s.once('data', () => { r(); }));
      s.destroy();
      await eventually(() => up.closed() === i + 1, 2_000, `upstream request ${i + 1} closed`);
    }
    // Three client hang-ups: no breaker opened, no host ejected — the next request is answered.
    const s = connect(port(g), '127.0.0.1');
    s.write(GET);
    const first = await new Promise<string>(r => s.once('data', (d: Buffer) => { r(d.toString('latin1')); }));
    s.destroy();
    assert.equal(statusOf(first), 200, first);
  });

  it('HTTP/2: a stream the client reset before the answer takes the upstream request down, and the host is not blamed', async () => {
    const up = await httpUpstream(res => {
      // The answer starts after the client has gone, then stays open (an event stream).
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
      }, 150);
    });
    const g = await gateway({
      listener: { codec_type: 'HTTP2' },
      clusters: [{ name: 'api', hosts: [`127.0.0.1:${up.port}`] }],
      routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', circuit_breaker: { consecutive_failures: 1 } }],
    });
    const session = h2connect(`http://127.0.0.1:${port(g)}`);
    after(() => { session.destroy(); });
    for (let i = 0; i < 3; i++) {
      const stream = session.request({ ':path': '/sse' });
      stream.on('error', () => undefined);
      await sleep(30);
      stream.close();
      // Without the check, the attempt would sit paused until undici's body timeout and then count as a failure.
      await eventually(() => up.closed() === i + 1, 2_000, `upstream request ${i + 1} closed`);
    }
    const stream = session.request({ ':path': '/sse' });
    const status = await new Promise<number>(r => stream.once('response', h => { r(Number(h[':status'])); }));
    stream.close();
    assert.equal(status, 200);
  });

  it('a slow client pauses the upstream (backpressure): the gateway never holds the whole answer, and every byte arrives', async () => {
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    const up = await httpUpstream(res => {
      res.writeHead(200, { 'content-length': String(total) });
      const pump = (): void => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const g = await gateway({
      clusters: [{ name: 'api', hosts: [`127.0.0.1:${up.port}`] }],
      routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', timeout: '30s' }],
    });
    const received = await new Promise<number>((resolve, reject) => {
      const req = request({ port: port(g), host: '127.0.0.1', path: '/big' }, res => {
        res.pause();
        // The client reads nothing for a second: the upstream must stall far short of the whole answer.
        setTimeout(() => {
          try {
            assert.ok(written < 24 * 1024 * 1024, `the upstream wrote ${written} bytes into a paused client`);
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
            return;
          }
          let n = 0;
          res.on('data', (d: Buffer) => (n += d.length));
          res.on('end', () => { resolve(n); });
          res.resume();
        }, 1_000);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(received, total);
    await sleep(10);
  });

  it('HTTP/1.1: an answer that comes before the upload was read closes the connection', async () => {
    const up = await httpUpstream(res => {
      res.writeHead(200, { 'content-length': '2' });
      res.end('ok');
    });
    const g = await gateway({
      clusters: [{ name: 'api', hosts: [`127.0.0.1:${up.port}`] }],
      routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', buffer_request_body: false }],
    });
    const s: Socket = connect(port(g), '127.0.0.1');
    s.write('POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\npartial');
    const head = await new Promise<string>(r => s.once('data', (d: Buffer) => { r(d.toString('latin1')); }));
    s.destroy();
    assert.equal(statusOf(head), 200, head);
    assert.match(head, /connection: close/i);
  });
});
