import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, gateway, hostsOf, upstreams } from './harness.ts';

interface HostJson { port: number; health_flags: string; healthy: boolean }
const hostsJson = async (g: Awaited<ReturnType<typeof gateway>>) =>
  (await g.adminGet('/clusters')).json<{ clusters: { hosts: HostJson[] }[] }>().clusters[0]!.hosts;

describe('active health checks', () => {
  it('HTTP checks fail a host answering 503 at once, route around it, and restore it after healthy_threshold passes', async () => {
    const ups = await upstreams(3);
    const g = await gateway({
      clusters: [
        {
          name: 'api',
          hosts: hostsOf(ups),
          health_checks: [{ timeout: '200ms', interval: '250ms', no_traffic_interval: '250ms', unhealthy_threshold: 3, healthy_threshold: 2, http_health_check: { path: '/healthz' } }],
        },
      ],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }],
    });
    await eventually(async () => (await hostsJson(g)).every(h => h.health_flags === 'healthy'), 3_000, 'first checks to pass');
    await ups[2]!.setMode('503');
    await eventually(async () => (await hostsJson(g)).find(h => h.port === ups[2]!.address.port)!.health_flags === '/failed_active_hc', 3_000, 'host to fail');
    const before = ups[2]!.hits;
    for (let i = 0; i < 12; i++) assert.equal((await g.get('/x')).status, 200);
    assert.equal(ups[2]!.hits, before, 'no traffic to an actively failed host');
    await ups[2]!.setMode('healthy');
    await eventually(async () => (await hostsJson(g)).every(h => h.healthy), 3_000, 'host to recover');
    const prom = (await g.adminGet('/stats/prometheus')).text;
    // Counted per host: the failures belong to the host that failed, none to the others.
    for (const [i, u] of ups.entries()) {
      const failures = Number(new RegExp(`brownout_health_checks_total\\{cluster="api",host="127.0.0.1:${u.address.port}",result="failure"\\} (\\d+)`).exec(prom)?.[1]);
      if (i === 2) assert.ok(failures >= 1, `failed host: ${failures}`);
      else assert.equal(failures, 0, `host ${i}`);
    }
  });

  it('TCP checks fail a host that refuses connections after unhealthy_threshold network failures', async () => {
    const ups = await upstreams(2);
    const g = await gateway({
      clusters: [
        {
          name: 'api',
          hosts: hostsOf(ups),
          health_checks: [{ timeout: '150ms', interval: '200ms', no_traffic_interval: '200ms', unhealthy_threshold: 2, healthy_threshold: 1, tcp_health_check: {} }],
        },
      ],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }],
    });
    await eventually(async () => (await hostsJson(g)).every(h => h.healthy), 3_000, 'first checks');
    await ups[0]!.setMode('refuse');
    await eventually(async () => !(await hostsJson(g)).find(h => h.port === ups[0]!.address.port)!.healthy, 3_000, 'refusing host to fail');
    await ups[0]!.setMode('healthy');
    await eventually(async () => (await hostsJson(g)).every(h => h.healthy), 3_000, 'recovery');
  });

  it('a hung health endpoint is cut by the check timeout', async () => {
    const ups = await upstreams(2);
    const g = await gateway({
      clusters: [
        {
          name: 'api',
          hosts: hostsOf(ups),
          health_checks: [{ timeout: '100ms', interval: '150ms', no_traffic_interval: '150ms', unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/healthz' } }],
        },
      ],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }],
    });
    await eventually(async () => (await hostsJson(g)).every(h => h.healthy), 3_000, 'first checks');
    await ups[1]!.setMode('hang');
    await eventually(
      async () => (await hostsJson(g)).find(h => h.port === ups[1]!.address.port)!.health_flags === '/failed_active_hc/active_hc_timeout',
      3_000,
      'timeout flag',
    );
  });
});
