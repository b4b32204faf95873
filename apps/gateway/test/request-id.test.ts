import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { request } from 'undici';
import { parseConfig } from '@brownout/core/config';
import { Gateway } from '../src/gateway.ts';
import { gateway, hostsOf, upstreams } from './harness.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it('generates one per request, forwards it upstream and returns it; a client cannot choose it', async () => {
    const ups = await upstreams(1);
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/x' }, cluster: 'api' }] });
    const a = await g.get('/x');
    const b = await g.get('/x', { 'x-request-id': 'chosen-by-client' });
    const id = String(a.headers['x-request-id']);
    assert.match(id, UUID);
    assert.equal(ups[0]!.lastHeaders['x-request-id'], String(b.headers['x-request-id']), 'the upstream got the id the client got back');
    assert.notEqual(b.headers['x-request-id'], 'chosen-by-client', 'an untrusted client\'s id is replaced');
    assert.match(String(b.headers['x-request-id']), UUID);
    assert.notEqual(id, b.headers['x-request-id']);
    const nr = await g.get('/nowhere');
    assert.equal(nr.status, 404, 'refused before routing (no route)');
    assert.match(String(nr.headers['x-request-id']), UUID);
  });

  it("keeps a trusted proxy's well-formed id and replaces a malformed one", async () => {
    const ups = await upstreams(1);
    const g = await gateway({
      listener: { trusted_proxies: ['127.0.0.1'] },
      clusters: [{ name: 'api', hosts: hostsOf(ups) }],
      routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }],
    });
    const kept = await g.get('/x', { 'x-request-id': 'edge-7f3a:42' });
    assert.equal(kept.headers['x-request-id'], 'edge-7f3a:42');
    assert.equal(ups[0]!.lastHeaders['x-request-id'], 'edge-7f3a:42');
    for (const bad of ['has space', 'x'.repeat(129), 'quote"s', '']) {
      const r = await g.get('/x', { 'x-request-id': bad });
      assert.match(String(r.headers['x-request-id']), UUID, `"${bad.slice(0, 20)}" replaced`);
    }
  });

  it('local and degraded answers carry it too; generate_request_id: false turns it off', async () => {
    const ups = await upstreams(1);
    await ups[0]!.setMode('refuse');
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    const failed = await g.get('/x');
    assert.equal(failed.status, 503);
    assert.match(String(failed.headers['x-request-id']), UUID);
    const off = await gateway({ listener: { generate_request_id: false }, clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    assert.equal((await off.get('/x')).headers['x-request-id'], undefined);
  });

  it('the access log has the id and the client, user agent, bytes and upstream fields', async () => {
    const ups = await upstreams(1);
    const file = join(mkdtempSync(join(tmpdir(), 'brownout-log-')), 'access.log');
    const config = parseConfig({ listener: { port: 0 }, admin: { port: 0 }, clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    const gw = new Gateway({ config, accessLog: file, adminToken: 't', log: pino({ level: 'silent' }) });
    await gw.listen();
    const base = `http://127.0.0.1:${(gw.publicApp.server.address() as AddressInfo).port}`;
    const r = await request(`${base}/items?x=1`, { method: 'POST', body: 'hello', headers: { 'user-agent': 'probe/1.0', 'content-type': 'text/plain' } });
    const id = String(r.headers['x-request-id']);
    const body = await r.body.text();
    await gw.close(500);
    const line = JSON.parse(readFileSync(file, 'utf8').trim().split('\n')[0]!) as Record<string, unknown>;
    assert.equal(line.request_id, id);
    assert.equal(line.client, '127.0.0.1');
    assert.equal(line.user_agent, 'probe/1.0');
    assert.equal(line.bytes_in, 5);
    assert.equal(line.bytes_out, Buffer.byteLength(body));
    assert.equal(line.host, `127.0.0.1:${ups[0]!.address.port}`);
    assert.ok(typeof line.upstream_ms === 'number' && line.upstream_ms >= 0 && line.upstream_ms <= (line.duration_ms as number));
    assert.equal(line.path, '/items');
  });
});
