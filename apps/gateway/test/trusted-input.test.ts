import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gateway, hostsOf, upstreams } from './harness.ts';
import { TrustedProxies } from '../src/routing/trusted-proxies.ts';
import { clientAddress } from '../src/routing/client-key.ts';

interface HostView { clusters: { hosts: { ejected: boolean }[] }[] }
interface RouteView { routes: { breaker: { state: string } | null }[] }

function strict(hosts: string[], trusted: string[] = []) {
  return {
    listener: { trusted_proxies: trusted },
    clusters: [{ name: 'api', hosts, outlier_detection: { consecutive_local_origin_failure: 1, consecutive_5xx: 1, max_ejection_percent: 100, interval: '50ms' } }],
    routes: [{ name: 'slow', match: { prefix: '/' }, cluster: 'api', timeout: '2s', circuit_breaker: { consecutive_failures: 1, minimum_requests: 1 } }],
  };
}

describe('trusted input: caller deadlines and trusted proxies', () => {
  it('ignores x-brownout-deadline-ms from an untrusted client: no 504, nothing charged, our own budget forwarded', async () => {
    const ups = await upstreams(1);
    ups[0]!.slowMs = 150;
    await ups[0]!.setMode('slow');
    const g = await gateway(strict(hostsOf(ups)));
    for (let i = 0; i < 5; i++) {
      const r = await g.get('/s', { 'x-brownout-deadline-ms': '5' });
      assert.equal(r.status, 200);
    }
    const forwarded = Number(ups[0]!.lastHeaders['x-brownout-deadline-ms']);
    assert.ok(forwarded > 1_000, `forwarded budget ${forwarded} comes from the route timeout, not the client`);
    assert.equal((await g.adminGet('/routes')).json<RouteView>().routes[0]!.breaker!.state, 'closed');
  });

  it("a trusted caller's own deadline answers 504 to that caller but never ejects the host or opens the breaker", async () => {
    const ups = await upstreams(1);
    ups[0]!.slowMs = 300;
    await ups[0]!.setMode('slow');
    const g = await gateway(strict(hostsOf(ups), ['127.0.0.0/8', '::1']));
    for (let i = 0; i < 5; i++) {
      const r = await g.get('/s', { 'x-brownout-deadline-ms': '40' });
      assert.equal(r.status, 504);
      assert.equal(r.text, 'upstream request timeout');
    }
    assert.equal((await g.adminGet('/clusters')).json<HostView>().clusters[0]!.hosts[0]!.ejected, false);
    assert.equal((await g.adminGet('/routes')).json<RouteView>().routes[0]!.breaker!.state, 'closed');
    const prom = (await g.adminGet('/stats/prometheus')).text;
    assert.match(prom, /brownout_caller_deadline_timeouts_total\{route="slow"\} 5/);
    assert.doesNotMatch(prom, /brownout_upstream_resets_total\{/);
    // Without the header the same caller is served normally.
    assert.equal((await g.get('/s')).status, 200);
  });

  it('matches trusted proxies by CIDR range, IPv4 and IPv6, including IPv4-mapped peers', () => {
    const t = new TrustedProxies(['10.0.0.0/8', 'fd00::/8', '192.168.1.7']);
    assert.equal(t.has('10.200.3.4'), true);
    assert.equal(t.has('11.0.0.1'), false);
    assert.equal(t.has('fd12::1'), true);
    assert.equal(t.has('fe80::1'), false);
    assert.equal(t.has('192.168.1.7'), true);
    assert.equal(t.has('192.168.1.8'), false);
    assert.equal(t.has('not-an-ip'), false);
    // The right-most untrusted address in XFF is the client; a mapped peer matches its IPv4 range.
    assert.equal(clientAddress('::ffff:10.0.0.5', '6.6.6.6, 203.0.113.9, 10.1.1.1', t), '203.0.113.9');
    assert.equal(clientAddress('203.0.113.50', '6.6.6.6', t), '203.0.113.50', 'an untrusted peer cannot choose its key');
  });

  it('refuses trusted_proxies entries that are not addresses or ranges, naming the field', async () => {
    const { parseConfig } = await import('@brownout/core/config');
    assert.throws(
      () => parseConfig({ listener: { trusted_proxies: ['10.0.0.0/8', 'lb.internal', '10.0.0.0/40'] }, clusters: [{ name: 'a', hosts: ['127.0.0.1:1'] }], routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'a' }] }),
      (e: Error) => /listener\.trusted_proxies\.1: expected an IPv4\/IPv6 address or CIDR/.test(e.message) && /listener\.trusted_proxies\.2/.test(e.message),
    );
  });
});
