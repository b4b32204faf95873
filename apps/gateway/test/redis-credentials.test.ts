import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { eventually, gateway, hostsOf, upstreams } from './harness.ts';
import { TestCa } from './test-ca.ts';

// REDIS_URL with TLS, a private CA and an ACL user (issue 25), against a real redis-server that
// speaks only TLS and has its default user switched off; then the ways it goes wrong — a wrong
// password, an unknown CA, sentinels that do not answer: the gateway serves on its last known
// switches, says what is wrong naming REDIS_URL, and never prints the password.

const PASSWORD = 'tls-s3cret-pw';

function freePort(): Promise<number> {
  return new Promise(resolve => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => {
        resolve(port);
      });
    });
  });
}

/** A pino logger whose lines are kept, to check what the gateway says (and does not). */
function capturedLog(): { log: pino.Logger; text: () => string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { log: pino({ level: 'info' }, sink), text: () => lines.join('') };
}

const config = (hosts: string[]) => ({
  clusters: [{ name: 'api', hosts }],
  routes: [
    { name: 'items', match: { prefix: '/items' }, cluster: 'api', degradation: { mode: 'reject' as const } },
    { name: 'rest', match: { prefix: '/' }, cluster: 'api' },
  ],
});

describe('REDIS_URL: TLS, a private CA, an ACL user, and clear errors', { timeout: 60_000 }, () => {
  const ca = new TestCa('redis-ca');
  const cert = ca.issue('redis');
  let port = 0;
  const dir = mkdtempSync(join(tmpdir(), 'brownout-redis-tls-'));

  it('a gateway on rediss://user:password@…?ca=… writes and enforces switches; wrong CA, wrong password and dead sentinels are named, last switches kept', async () => {
    port = await freePort();
    const proc = spawn(
      'redis-server',
      ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', cert.cert, '--tls-key-file', cert.key, '--tls-ca-cert-file', ca.file('redis-ca.pem'), '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no', '--dir', dir, '--user', 'default', 'off', '--user', 'brownout', 'on', `>${PASSWORD}`, '~*', '&*', '+@all'],
      { stdio: 'ignore' },
    );
    after(() => proc.kill('SIGKILL'));
    const ups = await upstreams(1);
    const snapshotPath = join(dir, 'switches.snapshot.json');
    const good = `rediss://brownout:${PASSWORD}@127.0.0.1:${port}?ca=${ca.file('redis-ca.pem')}`;
    const a = await gateway(config(hostsOf(ups)), { redisUrl: good, snapshotPath });
    let put = await a.adminPut('/switches', { routes: { items: { mode: 'reject', reason: 'incident', actor: 'ana' } } });
    for (let i = 0; i < 50 && put.status !== 200; i++) {
      await new Promise(r => setTimeout(r, 100)); // the server may still be starting
      put = await a.adminPut('/switches', { routes: { items: { mode: 'reject', reason: 'incident', actor: 'ana' } } });
    }
    assert.equal(put.status, 200, put.text);
    assert.equal((await a.get('/items/1')).status, 503);
    await eventually(async () => (await a.adminGet('/switches')).json<{ connected: boolean }>().connected, 2_000, 'connected over TLS as the ACL user');
    await a.close();

    const cases: [string, string, RegExp][] = [
      ['no CA: the server\'s certificate is not trusted', `rediss://brownout:${PASSWORD}@127.0.0.1:${port}`, /^REDIS_URL: TLS failed .*check rediss:\/\/ and \?ca= in REDIS_URL$/],
      ['a wrong password', `rediss://brownout:wrong-${PASSWORD}@127.0.0.1:${port}?ca=${ca.file('redis-ca.pem')}`, /^REDIS_URL: Redis refused the credentials .*check the user and password in REDIS_URL$/],
      ['sentinels that do not answer', `redis-sentinel://brownout:${PASSWORD}@127.0.0.1:${await freePort()},127.0.0.1:${await freePort()}/brownout`, /^REDIS_URL: no sentinel answered .*check the sentinel hosts and ports in REDIS_URL$/],
    ];
    for (const [name, url, expected] of cases) {
      const { log, text } = capturedLog();
      const g = await gateway(config(hostsOf(ups)), { redisUrl: url, snapshotPath, log });
      try {
        assert.equal((await g.get('/items/2')).status, 503, `${name}: the last known switches (the snapshot) stay in force`);
        assert.equal((await g.get('/other')).status, 200);
        let status = (await g.adminGet('/switches')).json<{ connected: boolean; redis_error: string | null }>();
        await eventually(async () => (status = (await g.adminGet('/switches')).json()).redis_error !== null, 5_000, `${name}: /switches says why`);
        assert.equal(status.connected, false);
        assert.match(status.redis_error ?? '', expected, name);
        const refused = await g.adminPut('/switches', { routes: {} });
        assert.notEqual(refused.status, 200, `${name}: a write is refused, not claimed`);
        assert.ok(text().includes(status.redis_error!.slice(0, 40)), `${name}: the log says it too`);
        for (const secret of [PASSWORD]) assert.ok(!text().includes(secret) && !JSON.stringify(status).includes(secret), `${name}: the password is never printed`);
      } finally {
        await g.close();
      }
    }
  });
});
