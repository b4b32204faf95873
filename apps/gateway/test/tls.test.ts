import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as tcpConnect } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gateway, hostsOf, upstreams } from './harness.ts';

// TLS termination on the public listener (`listener.tls`), against a CA made for the test with
// openssl: plain HTTPS, minimum version, mutual TLS, certificate reload on an open connection.

const dir = mkdtempSync(join(tmpdir(), 'brownout-tls-'));
const f = (name: string): string => join(dir, name);
const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { stdio: 'ignore' });
};

/** A CA, and a certificate for 127.0.0.1 signed by it (serial `serial`), written under `name`. */
function issue(name: string, serial: string, ca = 'ca'): void {
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`);
  writeFileSync(f(`${name}.ext`), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${ca}.pem`), '-CAkey', f(`${ca}.key`), '-set_serial', serial, '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`));
}

before(() => {
  for (const ca of ['ca', 'other-ca']) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${ca}.key`), '-out', f(`${ca}.pem`), '-days', '2', '-subj', `/CN=${ca}`);
  }
  issue('server-a', '0x0a');
  issue('server-b', '0x0b');
  issue('client', '0x0c');
  issue('stranger', '0x0d', 'other-ca');
  copyFileSync(f('server-a.pem'), f('server.pem'));
  copyFileSync(f('server-a.key'), f('server.key'));
});

interface Got {
  status: number;
  body: string;
  reused: boolean;
  serial: string;
}

function get(port: number, path: string, opts: { agent?: HttpsAgent; cert?: string; key?: string; maxVersion?: 'TLSv1.2' } = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path, ca: readFileSync(f('ca.pem')), agent: opts.agent ?? false, ...(opts.cert ? { cert: readFileSync(opts.cert), key: readFileSync(opts.key!) } : {}), ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}) },
      res => {
        // Read now: a keep-alive socket goes back to the agent (res.socket = null) once the body ends.
        const sock: unknown = res.socket;
        const serial = (sock as TLSSocket).getPeerCertificate().serialNumber;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          resolve({ status: res.statusCode!, body, reused: req.reusedSocket, serial });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const tlsConfig = (extra: object = {}) => ({ certificate_chain: { filename: f('server.pem') }, private_key: { filename: f('server.key') }, ...extra });
const portOf = (url: string): number => Number(new URL(url).port);

describe('TLS on the public listener', () => {
  it('serves HTTPS and tells the upstream x-forwarded-proto: https; plain HTTP is not answered as HTTP', async () => {
    const ups = await upstreams(1);
    const g = await gateway({ listener: { tls: tlsConfig() }, clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    const port = portOf(g.url);
    const r = await get(port, '/x');
    assert.equal(r.status, 200);
    assert.equal(ups[0]!.lastHeaders['x-forwarded-proto'], 'https');
    assert.equal(r.serial.toUpperCase(), '0A');
    // Plain HTTP to the TLS port: a TLS alert or a closed connection, never an HTTP answer.
    const answer = await new Promise<string>(resolve => {
      let got = '';
      const sock = tcpConnect(port, '127.0.0.1', () => sock.write('GET /x HTTP/1.1\r\nhost: a\r\n\r\n'));
      sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
      sock.on('close', () => { resolve(got); });
      sock.on('error', () => undefined);
      sock.setTimeout(2_000, () => sock.destroy());
    });
    assert.doesNotMatch(answer, /^HTTP\//, 'plain HTTP gets no HTTP answer');
    if (spawnSync('sh', ['-c', 'command -v curl']).status === 0) {
      // Asynchronously: the gateway answering it runs in this very process.
      const out = await new Promise<string>((resolve, reject) => {
        execFile('curl', ['-s', '--max-time', '5', '--cacert', f('ca.pem'), '-o', '/dev/null', '-w', '%{http_code} %{ssl_verify_result}', `https://127.0.0.1:${port}/x`], (err, stdout) => {
          if (err) reject(new Error(`curl: ${err.message}`));
          else resolve(stdout);
        });
      });
      assert.equal(out, '200 0', 'curl verifies the chain and gets 200');
    }
  });

  it('refuses a handshake below tls_minimum_protocol_version', async () => {
    const ups = await upstreams(1);
    const g = await gateway({ listener: { tls: tlsConfig({ tls_minimum_protocol_version: 'TLSv1_3' }) }, clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    await assert.rejects(get(portOf(g.url), '/x', { maxVersion: 'TLSv1.2' }), /protocol version|alert/i);
    assert.equal((await get(portOf(g.url), '/x')).status, 200);
  });

  it('mutual TLS: no client certificate or one from another CA is refused at the handshake', async () => {
    const ups = await upstreams(1);
    const g = await gateway({
      listener: { tls: tlsConfig({ trusted_ca: { filename: f('ca.pem') }, require_client_certificate: true }) },
      clusters: [{ name: 'api', hosts: hostsOf(ups) }],
      routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }],
    });
    const port = portOf(g.url);
    assert.equal((await get(port, '/x', { cert: f('client.pem'), key: f('client.key') })).status, 200);
    await assert.rejects(get(port, '/x'));
    await assert.rejects(get(port, '/x', { cert: f('stranger.pem'), key: f('stranger.key') }));
    assert.equal(ups[0]!.hits, 1, 'only the authenticated client reached the upstream');
  });

  it('reloads the certificate without dropping an open keep-alive connection; a bad file is refused', async () => {
    const ups = await upstreams(1);
    const input = { listener: { tls: tlsConfig() }, clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] };
    const cfgFile = f('gateway.json');
    writeFileSync(cfgFile, JSON.stringify({ ...input, listener: { port: 0, ...input.listener }, admin: { port: 0 } }));
    const g = await gateway(input, { configPath: cfgFile });
    const port = portOf(g.url);
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1 });
    const first = await get(port, '/x', { agent });
    assert.equal(first.serial.toUpperCase(), '0A');
    copyFileSync(f('server-b.pem'), f('server.pem'));
    copyFileSync(f('server-b.key'), f('server.key'));
    const reload = await g.adminPost('/reload');
    assert.equal(reload.status, 200, reload.text);
    const again = await get(port, '/x', { agent });
    assert.equal(again.status, 200);
    assert.equal(again.reused, true, 'the same connection carried on');
    assert.equal(again.serial.toUpperCase(), '0A', 'with the certificate it started with');
    const fresh = await get(port, '/x');
    assert.equal(fresh.serial.toUpperCase(), '0B', 'a new connection gets the new certificate');
    writeFileSync(f('server.key'), 'not a key');
    const bad = await g.adminPost('/reload');
    assert.notEqual(bad.status, 200);
    assert.match(bad.text, /listener\.tls/);
    assert.equal((await get(port, '/x')).serial.toUpperCase(), '0B', 'the running certificate stays');
    agent.destroy();
    copyFileSync(f('server-a.key'), f('server.key'));
    copyFileSync(f('server-a.pem'), f('server.pem'));
  });
});
