import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { stringify } from 'yaml';
import { parseConfig } from '@brownout/core/config';
import { gateway, hostsOf, recordingLog, upstreams } from './harness.ts';
import { resolveConfig } from '../src/discovery/dns-resolver.ts';

/** A gateway started from a config file (on ephemeral ports) that a test rewrites and reloads. */
async function reloadableGateway(): Promise<{ g: Awaited<ReturnType<typeof gateway>>; file: string; base: { clusters: { name: string; hosts: string[] }[]; routes: { name: string; match: { prefix: string }; cluster: string }[] } }> {
  const ups = await upstreams(1);
  const dir = mkdtempSync(join(tmpdir(), 'brownout-reload-'));
  const file = join(dir, 'gw.yaml');
  const base = { clusters: [{ name: 'api', hosts: hostsOf(ups) }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] };
  writeFileSync(file, stringify({ ...base, listener: { port: 0 }, admin: { port: 0 } }));
  return { g: await gateway(base, file), file, base };
}

describe('config edges', () => {
  it('a reload that changes the listener port keeps the bound one in /config and names the fields that need a restart', async () => {
    const { g, file, base } = await reloadableGateway();
    const bound = (g.gw.publicApp.server.address() as AddressInfo).port;
    writeFileSync(file, stringify({ ...base, listener: { port: 18_999, max_header_bytes: 32_768 }, admin: { port: 0 }, routes: [{ ...base.routes[0], timeout: '3s' }] }));
    const r = (await g.adminPost('/reload')).json<{ ok: boolean; restart_required: string[] }>();
    assert.equal(r.ok, true);
    assert.deepEqual(r.restart_required, ['listener.port', 'listener.max_header_bytes']);
    const cfg = (await g.adminGet('/config')).json<{ listener: { port: number; max_header_bytes: number }; routes: { timeout: number }[]; restart_required: string[] }>();
    assert.equal(cfg.listener.port, 0, 'what is in force (the ephemeral port the gateway was started with), not the file');
    assert.equal(cfg.listener.max_header_bytes, 16_384);
    assert.equal(cfg.routes[0]!.timeout, 3_000, 'everything else is reloaded');
    assert.deepEqual(cfg.restart_required, ['listener.port', 'listener.max_header_bytes']);
    assert.equal((g.gw.publicApp.server.address() as AddressInfo).port, bound);
    assert.equal((await g.get('/x')).status, 200);
  });

  it('codec_type, http2_protocol_options and tracing wait for a restart; upgrade_configs reloads at once', async () => {
    const { g, file, base } = await reloadableGateway();
    writeFileSync(
      file,
      stringify({
        ...base,
        listener: { port: 0, codec_type: 'HTTP2', http2_protocol_options: { max_concurrent_streams: 10 } },
        admin: { port: 0 },
        routes: [{ ...base.routes[0], upgrade_configs: [{ upgrade_type: 'websocket' }] }],
        tracing: { otlp_http: { endpoint: 'http://127.0.0.1:4318/v1/traces' } },
      }),
    );
    const r = (await g.adminPost('/reload')).json<{ ok: boolean; restart_required: string[] }>();
    assert.equal(r.ok, true);
    assert.deepEqual(r.restart_required, ['listener.codec_type', 'listener.http2_protocol_options', 'tracing']);
    assert.equal(g.gw.currentConfig.listener.codec_type, 'AUTO', 'the running listener is what /config shows');
    assert.equal(g.gw.currentConfig.tracing, undefined);
    assert.equal(g.gw.tracing, undefined, 'no tracer appeared on reload');
    assert.deepEqual(g.gw.currentConfig.routes[0]!.upgrade_configs, [{ upgrade_type: 'websocket', enabled: true }]);
    // Still HTTP/1.1 on the wire.
    assert.equal((await g.get('/x')).status, 200);
  });

  it('a cluster whose every host name fails to resolve is a loud error once and a metric on every refresh', async () => {
    const cfg = parseConfig({ clusters: [{ name: 'c', hosts: ['a.invalid:80', 'b.invalid:80'] }, { name: 'ok', hosts: ['10.0.0.1:80'] }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'c' }] });
    const r = await resolveConfig(cfg, new Map(), () => Promise.reject(new Error('ENOTFOUND')));
    assert.deepEqual(r.unresolved, ['c']);
    const rec = recordingLog();
    const g = await gateway({ clusters: [{ name: 'ghost', hosts: ['nothing-here.invalid:80'], dns_refresh_rate: '50ms' }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'ghost' }] }, { log: rec.log });
    await new Promise(res => setTimeout(res, 300));
    assert.equal(rec.lines.filter(l => l.level >= 50 && /NO host name of this cluster resolves/.test(l.msg)).length, 1);
    const m = /brownout_dns_cluster_unresolved_total\{cluster="ghost"\} (\d+)/.exec((await g.adminGet('/stats/prometheus')).text);
    assert.ok(m && Number(m[1]) >= 2, `counted on every refresh: ${m?.[1]}`);
  });
});
