import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { gateway, hostsOf, upstreams } from './harness.ts';

const portOf = (url: string): number => Number(new URL(url).port);

/** Writes raw HTTP (clients refuse to send some of these headers) and reads until the server closes. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise(resolve => {
    let got = '';
    const sock = connect(port, '127.0.0.1', () => {
      sock.write(text);
    });
    sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
    sock.on('close', () => {
      resolve(got);
    });
    sock.setTimeout(3_000, () => sock.destroy());
  });
}

describe('protocol upgrades', () => {
  it('a WebSocket upgrade is refused plainly (403, connection closed), never proxied into a confused 200', async () => {
    const ups = await upstreams(1);
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    const raw = await rawExchange(portOf(g.url), 'GET /chat HTTP/1.1\r\nhost: a\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 403 /);
    assert.match(raw, /upgrade to "websocket" is not allowed on this route/);
    assert.match(raw, /connection: close/i);
    assert.equal(ups[0]!.hits, 0, 'nothing reached the upstream');
    // An ordinary request naming an upgrade token without asking to upgrade is served as usual.
    const plain = await rawExchange(portOf(g.url), 'GET /x HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\nconnection: close\r\n\r\n');
    assert.match(plain, /^HTTP\/1\.1 200 /);
  });
});

describe('Expect: 100-continue', () => {
  it('node: the client gets 100 Continue, sends the body, and the upstream gets the body without the expectation', async () => {
    const ups = await upstreams(1);
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    let continued = false;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: portOf(g.url), path: '/upload', method: 'POST', headers: { expect: '100-continue', 'content-type': 'text/plain', 'content-length': '5' } }, res => {
        res.resume();
        res.on('end', () => { resolve(res.statusCode!); });
      });
      req.on('continue', () => {
        continued = true;
        req.end('hello');
      });
      req.on('error', reject);
    });
    assert.equal(status, 200);
    assert.equal(continued, true, 'the gateway answered 100 Continue before the body');
    assert.equal(ups[0]!.lastBody, 'hello');
    assert.equal(ups[0]!.lastHeaders.expect, undefined, 'the expectation stops at the gateway');
  });

  it('curl: a body sent with Expect: 100-continue arrives whole', async t => {
    if (spawnSync('sh', ['-c', 'command -v curl']).status !== 0) {
      t.skip('curl is not installed');
      return;
    }
    const ups = await upstreams(1);
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    const body = 'x'.repeat(2_000);
    // Asynchronously: the gateway answering curl runs in this process.
    const out = await new Promise<string>((resolve, reject) => {
      execFile('curl', ['-s', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Expect: 100-continue', '--data-binary', body, `${g.url}/upload`], (err, stdout) => {
        if (err) reject(new Error(`curl: ${err.message}`));
        else resolve(stdout);
      });
    });
    assert.equal(out, '200');
    assert.equal(ups[0]!.lastBody, body);
  });
});
