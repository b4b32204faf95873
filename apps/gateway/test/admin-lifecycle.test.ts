import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { request } from 'undici';
import { eventually, gateway, hostsOf, upstreams } from './harness.ts';

function raw(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(payload));
    let out = '';
    s.on('data', d => (out += d.toString()));
    s.on('end', () => {
      resolve(out);
    });
    s.on('close', () => {
      resolve(out);
    });
    s.on('error', reject);
  });
}

describe('admin API', () => {
  it('rejects a missing or wrong bearer token with 401, but /ready is open', async () => {
    const ups = await upstreams(1);
    const g = await gateway({ admin: { token: 'secret-in-config' }, clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }] });
    assert.equal((await g.adminGet('/clusters', 'wrong')).status, 401);
    assert.equal((await request(`${g.admin}/clusters`)).statusCode, 401);
    assert.equal((await request(`${g.admin}/no-such-endpoint`)).statusCode, 401, 'unknown paths do not reveal themselves without the token');
    assert.equal((await g.adminGet('/clusters')).status, 200);
    const ready = await request(`${g.admin}/ready`);
    assert.equal(ready.statusCode, 200);
    assert.equal(await ready.body.text(), 'LIVE');
    const cfg = (await g.adminGet('/config')).json<{ admin: { token: string } }>();
    assert.equal(cfg.admin.token, '[redacted]');
  });

  it('is not served on the public listener', async () => {
    const ups = await upstreams(1);
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'all', match: { prefix: '/api' }, cluster: 'api' }] });
    const r = await g.get('/clusters');
    assert.equal(r.status, 404);
    assert.equal(r.text, 'no route');
  });
});

describe('graceful drain', () => {
  it('healthcheck/fail makes /ready 503 and closes client connections; healthcheck/ok reverts', async () => {
    const ups = await upstreams(1);
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }] });
    assert.equal((await g.adminPost('/healthcheck/fail')).status, 200);
    assert.equal((await request(`${g.admin}/ready`)).statusCode, 503);
    const r = await g.get('/x');
    assert.equal(r.status, 200, 'requests are still served while draining');
    assert.equal(r.headers.connection, 'close', 'but the connection is closed so load balancers move away');
    await g.adminPost('/healthcheck/ok');
    assert.equal((await request(`${g.admin}/ready`)).statusCode, 200);
    assert.notEqual((await g.get('/x')).headers.connection, 'close');
  });

  it('shutdown lets in-flight requests finish and refuses new connections', async () => {
    const ups = await upstreams(1);
    ups[0]!.slowMs = 300;
    await ups[0]!.setMode('slow');
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }] });
    const inflight = g.get('/slow');
    await eventually(() => ups[0]!.hits === 1, 2_000, 'request to reach the upstream');
    const closing = g.close();
    const r = await inflight;
    assert.equal(r.status, 200);
    await closing;
    await assert.rejects(request(`${g.url}/after`), /ECONNREFUSED/);
  });

  it('shutdown ends at the drain deadline: a request still waiting on its upstream is cut, not waited for', async () => {
    const ups = await upstreams(1);
    ups[0]!.slowMs = 3_000;
    await ups[0]!.setMode('slow');
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }] });
    const inflight = g.get('/slow').then(r => r.status, () => 'cut');
    await eventually(() => ups[0]!.hits === 1, 2_000, 'request to reach the upstream');
    const started = Date.now();
    await g.gw.close(400);
    const took = Date.now() - started;
    assert.ok(took >= 350 && took < 2_000, `closed at the 400 ms deadline (${took} ms), not when the 3 s answer came`);
    assert.equal(await inflight, 'cut');
  });
});

describe('config reload', () => {
  it('a valid reload keeps ejection state; an invalid one is refused with its errors and the old config keeps serving', async () => {
    const ups = await upstreams(3);
    const dir = mkdtempSync(join(tmpdir(), 'brownout-'));
    const file = join(dir, 'gateway.yaml');
    const cfg = (base: string) => ({
      listener: { port: 0 },
      admin: { port: 0 },
      clusters: [{ name: 'api', hosts: hostsOf(ups), outlier_detection: { interval: '100ms', base_ejection_time: base, max_ejection_percent: 34 } }],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }],
    });
    writeFileSync(file, stringify(cfg('30s')));
    const g = await gateway(cfg('30s'), file);
    await ups[0]!.setMode('503');
    for (let i = 0; i < 15; i++) await g.get('/');
    const ejected = async () =>
      (await g.adminGet('/clusters')).json<{ clusters: { hosts: { port: number; ejected: boolean }[] }[] }>().clusters[0]!.hosts.find(h => h.port === ups[0]!.address.port)!.ejected;
    assert.equal(await ejected(), true);

    writeFileSync(file, stringify(cfg('20s')));
    const ok = await g.adminPost('/reload');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json<{ kept: string[] }>().kept, ['api']);
    assert.equal(await ejected(), true, 'ejection survived the reload');

    writeFileSync(file, 'clusters:\n  - name: api\n    hosts: []\nroutes: []\n');
    const bad = await g.adminPost('/reload');
    assert.equal(bad.status, 400);
    const issues = bad.json<{ error: { code: string; issues: { path: string; message: string }[] } }>().error.issues;
    assert.ok(issues.some(i => i.path === 'clusters.0.hosts'), JSON.stringify(issues));
    assert.equal((await g.get('/')).status, 200, 'old config still serving');
    assert.equal(g.gw.currentConfig.clusters[0]!.outlier_detection!.base_ejection_time, 20_000);
  });
});

describe('bad input', () => {
  it('answers 404 from the gateway for unknown routes, without touching an upstream', async () => {
    const ups = await upstreams(1);
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'users', match: { prefix: '/users', methods: ['GET'] }, cluster: 'api' }] });
    assert.equal((await g.get('/orders')).status, 404);
    assert.equal((await g.get('/users/1', {}, 'DELETE')).status, 404, 'method matcher');
    assert.equal(ups[0]!.hits, 0);
  });

  it('rejects oversized headers (431), malformed requests (400) and bodies over the route limit (413)', async () => {
    const ups = await upstreams(1);
    const g = await gateway({
      listener: { max_header_bytes: 2048 },
      clusters: [{ name: 'api', hosts: hostsOf(ups) }],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', max_request_body_bytes: 16 }],
    });
    const port = Number(new URL(g.url).port);
    assert.match(await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`), /^HTTP\/1\.1 431/);
    assert.match(await raw(port, 'THIS IS NOT HTTP\r\n\r\n'), /^HTTP\/1\.1 400/);
    const big = await g.get('/upload', { 'content-type': 'text/plain' }, 'POST', 'x'.repeat(17));
    assert.equal(big.status, 413);
    const chunked = await raw(port, 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n20\r\n' + 'y'.repeat(32) + '\r\n0\r\n\r\n');
    assert.match(chunked, /^HTTP\/1\.1 413/, 'a chunked body is caught while buffering');
    assert.equal(ups[0]!.hits, 0);
    assert.equal((await g.get('/ok', { 'content-type': 'text/plain' }, 'POST', 'small')).status, 200);
  });
});
