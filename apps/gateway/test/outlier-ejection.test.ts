import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, gateway, hostsOf, upstreams } from './harness.ts';

interface HostJson { port: number; ejected: boolean; ejection_count: number; health_flags: string; ejection_time_left_ms: number }
interface ClustersJson { clusters: { name: string; hosts: HostJson[]; outlier_detection: { ejections_active: number } }[] }

describe('outlier detection through real traffic', () => {
  it('ejects a host after 5 consecutive 503s, stops sending it traffic, and brings it back after the ejection time', async () => {
    const ups = await upstreams(3);
    const g = await gateway({
      clusters: [
        {
          name: 'api',
          hosts: hostsOf(ups),
          outlier_detection: { interval: '100ms', base_ejection_time: '400ms', max_ejection_percent: 34 },
        },
      ],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api' }],
    });
    const bad = ups[1]!;
    await bad.setMode('503');
    // Round robin spreads requests; send until the bad host has answered 5 times.
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await g.get('/x')).status);
    assert.equal(statuses.filter(s => s === 503).length, 5, 'exactly five 503s reach the client before ejection');
    assert.equal(bad.hits, 5);

    const c = (await g.adminGet('/clusters')).json<ClustersJson>().clusters[0]!;
    const h = c.hosts.find(x => x.port === bad.address.port)!;
    assert.equal(h.ejected, true);
    assert.equal(h.ejection_count, 1);
    assert.equal(h.health_flags, '/failed_outlier_check');
    assert.ok(h.ejection_time_left_ms > 0 && h.ejection_time_left_ms <= 400);
    assert.equal(c.outlier_detection.ejections_active, 1);

    for (let i = 0; i < 20; i++) assert.equal((await g.get('/x')).status, 200);
    assert.equal(bad.hits, 5, 'an ejected host gets no traffic');

    const prom = (await g.adminGet('/stats/prometheus')).text;
    assert.match(prom, /brownout_outlier_ejections_active\{cluster="api"\} 1/);
    assert.match(prom, /brownout_outlier_ejections_total\{cluster="api",type="consecutive_5xx",enforced="true"\} 1/);
    assert.match(prom, new RegExp(`brownout_upstream_requests_total\\{cluster="api",host="127.0.0.1:${bad.address.port}",status_class="5xx"\\} 5`));

    await bad.setMode('healthy');
    await eventually(async () => {
      const cj = (await g.adminGet('/clusters')).json<ClustersJson>();
      return !cj.clusters[0]!.hosts.find(x => x.port === bad.address.port)!.ejected;
    }, 3_000, 'un-ejection');
    const hitsBefore = bad.hits;
    for (let i = 0; i < 9; i++) await g.get('/x');
    assert.equal(bad.hits - hitsBefore, 3, 'host back in rotation: a third of round-robin traffic');
  });

  it('treats connect failures as local-origin errors and retries them on another host', async () => {
    const ups = await upstreams(3);
    const g = await gateway({
      clusters: [{ name: 'api', hosts: hostsOf(ups), outlier_detection: { interval: '10s', max_ejection_percent: 34 } }],
      routes: [{ name: 'all', match: { prefix: '/' }, cluster: 'api', retry_policy: { retry_on: 'connect-failure', num_retries: 2 } }],
    });
    await ups[0]!.setMode('refuse');
    for (let i = 0; i < 12; i++) {
      const r = await g.get('/y');
      assert.equal(r.status, 200, 'a refused connection is retried elsewhere');
    }
    const cj = (await g.adminGet('/clusters')).json<ClustersJson>();
    const h = cj.clusters[0]!.hosts.find(x => x.port === ups[0]!.address.port)!;
    assert.equal(h.ejected, true, 'five connect failures eject (mapped to 503 without split mode)');
    const prom = (await g.adminGet('/stats/prometheus')).text;
    assert.match(prom, /brownout_retries_total\{cluster="api"\} [1-9]/);
    assert.match(prom, /brownout_upstream_resets_total\{cluster="api",host="127.0.0.1:\d+",kind="connect_failure"\} 5/);
  });
});
