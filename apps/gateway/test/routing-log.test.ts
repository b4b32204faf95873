import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { parseConfig } from '@brownout/core/config';
import { Gateway } from '../src/gateway.ts';
import { eventually, gateway, hostsOf, upstreams } from './harness.ts';

describe('routing by headers', () => {
  it('matches header presence and exact values, first match in config order', async () => {
    const a = await upstreams(1, 'beta');
    const b = await upstreams(1, 'stable');
    const g = await gateway({
      clusters: [
        { name: 'beta', hosts: hostsOf(a) },
        { name: 'stable', hosts: hostsOf(b) },
      ],
      routes: [
        { name: 'beta', match: { prefix: '/', headers: [{ name: 'X-Channel', exact: 'beta' }] }, cluster: 'beta' },
        { name: 'no-client', match: { prefix: '/', headers: [{ name: 'x-client', present: false }] }, cluster: 'beta' },
        { name: 'stable', match: { prefix: '/' }, cluster: 'stable' },
      ],
    });
    const up = async (h: Record<string, string>) => (await g.get('/x', h)).json<{ upstream: string }>().upstream;
    assert.equal(await up({ 'x-channel': 'beta', 'x-client': 'app' }), 'beta0');
    assert.equal(await up({ 'x-channel': 'alpha', 'x-client': 'app' }), 'stable0');
    assert.equal(await up({}), 'beta0', 'present: false matches a missing header');
  });
});

describe('reload with requests in flight', () => {
  it('finishes a request that was in flight when the config changed', async () => {
    const ups = await upstreams(1);
    ups[0]!.slowMs = 300;
    await ups[0]!.setMode('slow');
    const g = await gateway({ clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', timeout: '5s' }] });
    const pending = g.get('/slow');
    await eventually(() => ups[0]!.hits === 1, 2_000, 'request upstream');
    const r = g.gw.reload(parseConfig({ listener: { port: 0 }, admin: { port: 0 }, clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', timeout: '1s' }] }));
    assert.equal(r.ok, true);
    assert.equal((await pending).status, 200);
  });
});

describe('access log', () => {
  it('writes one JSON line per request with route, cluster, host, status, attempts, duration and flags', async () => {
    const ups = await upstreams(2);
    await ups[0]!.setMode('503');
    const file = join(mkdtempSync(join(tmpdir(), 'brownout-log-')), 'access.log');
    const config = parseConfig({
      listener: { port: 0 },
      admin: { port: 0 },
      clusters: [{ name: 'api', hosts: hostsOf(ups) }],
      routes: [{ name: 'r', match: { prefix: '/api' }, cluster: 'api', retry_policy: { retry_on: '5xx', num_retries: 0 } }],
    });
    const gw = new Gateway({ config, accessLog: file, adminToken: 't', log: pino({ level: 'silent' }) });
    await gw.listen();
    const base = `http://127.0.0.1:${(gw.publicApp.server.address() as AddressInfo).port}`;
    for (const p of ['/api/a', '/api/b', '/nowhere']) await (await fetch(base + p)).text();
    await gw.close(500);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 3);
    const [first, , third] = lines;
    for (const k of ['route', 'cluster', 'host', 'status', 'attempts', 'duration_ms', 'flags', 'method', 'path']) assert.ok(k in first!, `field ${k}`);
    assert.deepEqual([first!.route, first!.cluster, first!.attempts], ['r', 'api', 1]);
    assert.ok(lines.some(l => l.status === 503) && lines.some(l => l.status === 200));
    assert.deepEqual([third!.status, third!.flags, third!.route], [404, 'NR', null]);
  });
});
