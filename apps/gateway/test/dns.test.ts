import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '@brownout/core/config';
import { pickFamily, resolveConfig } from '../src/discovery/dns-resolver.ts';
import { gateway, upstreams } from './harness.ts';

const answers = (...a: [string, number][]) => a.map(([address, family]) => ({ address, family }));

describe('DNS-named hosts', () => {
  it("applies Envoy's lookup families", () => {
    const both = answers(['10.0.0.1', 4], ['fd00::1', 6]);
    assert.deepEqual(pickFamily(both, 'V4_PREFERRED'), ['10.0.0.1']);
    assert.deepEqual(pickFamily(answers(['fd00::1', 6]), 'V4_PREFERRED'), ['fd00::1']);
    assert.deepEqual(pickFamily(both, 'V6_ONLY'), ['fd00::1']);
    assert.deepEqual(pickFamily(both, 'ALL'), ['10.0.0.1', 'fd00::1']);
  });

  it('expands a name into one host per address, and keeps the last answer when a lookup fails', async () => {
    const cfg = parseConfig({ clusters: [{ name: 'c', hosts: ['api.internal:8080', '10.9.9.9:80'] }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'c' }] });
    const first = await resolveConfig(cfg, new Map(), () => Promise.resolve(answers(['10.0.0.2', 4], ['10.0.0.1', 4])));
    assert.deepEqual(first.config.clusters[0]!.hosts.map(h => `${h.address}:${h.port}`), ['10.0.0.1:8080', '10.0.0.2:8080', '10.9.9.9:80']);
    const failed = await resolveConfig(cfg, first.answers, () => Promise.reject(new Error('SERVFAIL')));
    assert.deepEqual(failed.config.clusters[0]!.hosts.map(h => h.address), ['10.0.0.1', '10.0.0.2', '10.9.9.9']);
  });

  it('a gateway resolves localhost into its address and proxies to it', async () => {
    const ups = await upstreams(1);
    const g = await gateway({ clusters: [{ name: 'api', hosts: [`localhost:${ups[0]!.address.port}`], dns_lookup_family: 'V4_ONLY' }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }] });
    const c = (await g.adminGet('/clusters')).json<{ clusters: { hosts: { address: string }[] }[] }>();
    assert.deepEqual(c.clusters[0]!.hosts.map(h => h.address), ['127.0.0.1']);
    assert.equal((await g.get('/x')).status, 200);
  });
});
