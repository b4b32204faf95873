import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, gateway, recordingLog } from './harness.ts';

// HTTPS to upstreams (cluster `tls`), against an upstream with its own CA made for the test.

const dir = mkdtempSync(join(tmpdir(), 'brownout-upstream-tls-'));
const f = (name: string): string => join(dir, name);
const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { stdio: 'ignore' });
};

let upstream: Server;
let port = 0;
const seen: { sni: string | false | null; proto: string | undefined }[] = [];

before(async () => {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=upstream-ca');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('up.key'), '-out', f('up.csr'), '-subj', '/CN=api.internal');
  writeFileSync(f('up.ext'), 'subjectAltName=IP:127.0.0.1,DNS:api.internal\n');
  openssl('x509', '-req', '-in', f('up.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-set_serial', '7', '-days', '2', '-extfile', f('up.ext'), '-out', f('up.pem'));
  upstream = createServer({ cert: readFileSync(f('up.pem')), key: readFileSync(f('up.key')) }, (req, res) => {
    const sock: unknown = req.socket;
    if (req.url !== '/healthz') seen.push({ sni: (sock as TLSSocket).servername, proto: req.headers['x-forwarded-proto'] as string | undefined });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ secure: true, path: req.url }));
  });
  await new Promise<void>(resolve => upstream.listen(0, '127.0.0.1', resolve));
  port = (upstream.address() as AddressInfo).port;
});
after(() => {
  upstream.closeAllConnections();
  upstream.close();
});

const cluster = (tls: object, extra: object = {}) => ({ name: 'secure', hosts: [`127.0.0.1:${port}`], tls, ...extra });
const route = { name: 'r', match: { prefix: '/' }, cluster: 'secure' };

describe('HTTPS upstreams', () => {
  it('proxies to an HTTPS host verified against its CA, and health-checks it over the same TLS', async () => {
    const g = await gateway({
      clusters: [cluster({ trusted_ca: { filename: f('ca.pem') } }, { health_checks: [{ timeout: '200ms', interval: '300ms', no_traffic_interval: '300ms', unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/healthz' } }] })],
      routes: [route],
    });
    const host = g.gw.engine.clusters.get('secure')!.hostSet.hosts[0]!;
    await eventually(() => host.health() === 'healthy', 3_000, 'health check over TLS passes');
    const r = await g.get('/items');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { secure: true, path: '/items' });
    assert.equal(seen.at(-1)!.sni, false, 'an IP host gets no SNI');
    // The client's Host header never becomes the SNI the upstream is verified against.
    assert.equal((await g.get('/items', { host: 'evil.example' })).status, 200);
    assert.equal(seen.at(-1)!.sni, false);
    assert.equal(seen.at(-1)!.proto, 'http');
  });

  it('sends the configured SNI and verifies the certificate for that name', async () => {
    const g = await gateway({ clusters: [cluster({ trusted_ca: { filename: f('ca.pem') }, sni: 'api.internal' })], routes: [route] });
    assert.equal((await g.get('/x')).status, 200);
    assert.equal(seen.at(-1)!.sni, 'api.internal');
    const wrong = await gateway({ clusters: [cluster({ trusted_ca: { filename: f('ca.pem') }, sni: 'other.internal' })], routes: [route] });
    const r = await wrong.get('/x');
    assert.equal(r.status, 503);
    assert.match(r.text, /ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('a certificate that does not verify is a 503 naming the TLS reason and a connect failure for the host', async () => {
    const g = await gateway({ clusters: [cluster({})], routes: [route] });
    const r = await g.get('/x');
    assert.equal(r.status, 503);
    assert.match(r.text, /remote connection failure, transport failure reason: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT)/);
    const host = g.gw.engine.clusters.get('secure')!.hostSet.hosts[0]!;
    assert.equal(host.stats.cx_connect_fail, 1, 'counted as a connect failure against the host (outlier detection)');
  });

  it('verify: false accepts any certificate, and the gateway says so', async () => {
    const rec = recordingLog();
    const g = await gateway({ clusters: [cluster({ verify: false })], routes: [route] }, { log: rec.log });
    assert.equal((await g.get('/x')).status, 200);
    assert.ok(rec.lines.some(l => l.level === 40 && /TLS NOT VERIFIED/.test(l.msg)), 'a warning at start');
  });

  it('a plain-HTTP host behind tls is a connect failure, not a hang', async () => {
    const plain = await import('node:http');
    const srv = plain.createServer((_q, s) => s.end('plain'));
    await new Promise<void>(resolve => srv.listen(0, '127.0.0.1', resolve));
    const g = await gateway({ clusters: [{ name: 'secure', hosts: [`127.0.0.1:${(srv.address() as AddressInfo).port}`], tls: { verify: false } }], routes: [route] });
    const r = await g.get('/x');
    assert.equal(r.status, 503);
    assert.match(r.text, /transport failure reason: ERR_SSL_/);
    srv.close();
  });
});
