import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
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
});
