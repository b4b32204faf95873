import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { parseConfig } from '@brownout/core/config';
import { gateway, sleep } from './harness.ts';

/**
 * An upstream that counts the TCP connections it accepts and, like nginx, sends no `Keep-Alive`
 * hint (Node's HTTP server always adds one, which undici would follow instead of idle_timeout).
 * Bodiless requests only: every blank line ends one.
 */
async function countingUpstream(): Promise<{ port: number; connections: () => number }> {
  let n = 0;
  const sockets = new Set<Socket>();
  const server = createServer(socket => {
    n++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let end;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        buf = buf.slice(end + 4);
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, connections: () => n };
}

describe('upstream connections', () => {
  it('keeps idle upstream connections for the cluster idle_timeout, then opens new ones', async () => {
    const short = await countingUpstream();
    const long = await countingUpstream();
    const g = await gateway({
      clusters: [
        { name: 'short', hosts: [`127.0.0.1:${short.port}`], idle_timeout: '150ms' },
        { name: 'long', hosts: [`127.0.0.1:${long.port}`] },
      ],
      routes: [
        { name: 's', match: { prefix: '/s' }, cluster: 'short' },
        { name: 'l', match: { prefix: '/l' }, cluster: 'long' },
      ],
    });
    for (const p of ['/s', '/l']) assert.equal((await g.get(p)).status, 200);
    await sleep(500);
    for (const p of ['/s', '/l']) assert.equal((await g.get(p)).status, 200);
    assert.equal(short.connections(), 2, 'idle longer than 150 ms: closed, a new connection for the next request');
    assert.equal(long.connections(), 1, 'default idle_timeout (60 s): the same connection is reused');
  });

  it('a reload that changes idle_timeout rebuilds the pool; one that does not keeps its connections', async () => {
    const up = await countingUpstream();
    const cfg = (idle: string, timeout: string) =>
      parseConfig({
        listener: { port: 0 },
        admin: { port: 0 },
        clusters: [{ name: 'api', hosts: [`127.0.0.1:${up.port}`], idle_timeout: idle }],
        routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', timeout }],
      });
    const g = await gateway({ clusters: [{ name: 'api', hosts: [`127.0.0.1:${up.port}`], idle_timeout: '60s' }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    assert.equal((await g.get('/')).status, 200);
    assert.equal(g.gw.reload(cfg('60s', '5s')).ok, true); // a route change only
    assert.equal((await g.get('/')).status, 200);
    assert.equal(up.connections(), 1, 'same pool, same connection');
    assert.equal(g.gw.reload(cfg('150ms', '5s')).ok, true);
    assert.equal((await g.get('/')).status, 200);
    assert.equal(up.connections(), 2, 'new settings: a new pool');
    await sleep(500);
    assert.equal((await g.get('/')).status, 200);
    assert.equal(up.connections(), 3, 'and the new pool closes idle connections after 150 ms');
  });
});
