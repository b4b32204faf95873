import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, gateway, hostsOf, upstreams } from './harness.ts';
import { redisServer } from '@brownout/control-plane/testing';
import { INSTANCE_PREFIX, SWITCH_LOG } from '@brownout/control-plane';

interface Status {
  instance: string;
  switches_version: number;
  automatic: { route: string; reason: string }[];
  clusters: { name: string; hosts: { port: number; ejected: boolean; ejected_for: string | null; ejection_count: number; ejection_time_left_ms: number }[] }[];
  routes: Record<string, Record<string, number>>;
}

describe('fleet status and automatic degradation announcements', () => {
  it('each gateway publishes its host health, automatic degradations and counters under a heartbeat TTL, and removes it when it stops', async () => {
    const redis = await redisServer();
    const ups = await upstreams(2);
    const input = {
      clusters: [{ name: 'api', hosts: hostsOf(ups), outlier_detection: { consecutive_5xx: 2, max_ejection_percent: 50 } }],
      routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', circuit_breaker: { consecutive_failures: 3 }, degradation: { mode: 'reject' as const } }],
    };
    const a = await gateway(input, { redisUrl: redis.url, heartbeatMs: 100 });
    const b = await gateway(input, { redisUrl: redis.url, heartbeatMs: 100 });
    const client = redis.client();
    await eventually(async () => (await client.keys(`${INSTANCE_PREFIX}*`)).length === 2, 2_000, 'both instances to publish');

    await ups[0]!.setMode('503');
    for (let i = 0; i < 4; i++) await a.get('/x');
    await eventually(async () => {
      const raw = await client.get(INSTANCE_PREFIX + a.gw.instanceId);
      if (!raw) return false;
      const s = JSON.parse(raw) as Status;
      const h = s.clusters[0]!.hosts.find(x => x.port === ups[0]!.address.port)!;
      return h.ejected && h.ejected_for === 'consecutive_5xx' && h.ejection_count === 1 && h.ejection_time_left_ms > 0 && (s.routes.r?.['5xx'] ?? 0) >= 2;
    }, 2_000, 'the ejection to show in the fleet status');
    const ttl = await client.pttl(INSTANCE_PREFIX + a.gw.instanceId);
    assert.ok(ttl > 0 && ttl <= 300, `heartbeat TTL ${ttl}ms`);

    await b.close();
    assert.equal(await client.exists(INSTANCE_PREFIX + b.gw.instanceId), 0, 'a stopped instance is gone');
  });

  it('announces an automatic degradation (breaker open) and its recovery in the switch change log', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const g = await gateway(
      {
        clusters: [{ name: 'api', hosts: hostsOf(ups) }],
        routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', circuit_breaker: { consecutive_failures: 2, open_duration: '200ms' }, degradation: { mode: 'reject' } }],
      },
      { redisUrl: redis.url },
    );
    await ups[0]!.setMode('503');
    await g.get('/1');
    await g.get('/2');
    const degraded = await g.get('/3');
    assert.equal(degraded.headers['x-brownout-degraded'], 'reject; level=0; reason=breaker');
    const status = (await g.adminGet('/switches')).json<{ automatic: { route: string; reason: string }[] }>();
    assert.deepEqual(status.automatic, [{ route: 'r', reason: 'breaker' }]);
    assert.match((await g.adminGet('/stats/prometheus')).text, /brownout_auto_degraded\{route="r",reason="breaker"\} 1/);
    await ups[0]!.setMode('healthy');
    await new Promise(r => setTimeout(r, 250));
    assert.equal((await g.get('/4')).status, 200);
    const client = redis.client();
    const autoEntries = async () => (await logFields(client)).filter(f => f.type === 'auto');
    await eventually(async () => (await autoEntries()).length >= 2, 2_000, 'announcements');
    const fields = await autoEntries();
    assert.deepEqual(
      fields.map(f => [f.type, f.route, f.reason, f.active, f.instance === g.gw.instanceId]),
      [
        ['auto', 'r', 'breaker', '1', true],
        ['auto', 'r', 'breaker', '0', true],
      ],
    );
  });

  it('announces a route losing (and regaining) every healthy host', async () => {
    const redis = await redisServer();
    const ups = await upstreams(1);
    const g = await gateway(
      {
        clusters: [{ name: 'api', hosts: hostsOf(ups), healthy_panic_threshold: 0, health_checks: [{ timeout: '80ms', interval: '100ms', no_traffic_interval: '100ms', unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/healthz' } }] }],
        routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api', degradation: { mode: 'reject' } }],
      },
      { redisUrl: redis.url, heartbeatMs: 100 },
    );
    const client = redis.client();
    const reasons = async () => (await client.xrange(SWITCH_LOG, '-', '+')).map(([, f]) => `${f[7]}:${f[9]}`);
    await ups[0]!.setMode('503');
    await eventually(async () => (await reasons()).includes('no-healthy-host:1'), 3_000, 'loss announced');
    await ups[0]!.setMode('healthy');
    await eventually(async () => (await reasons()).includes('no-healthy-host:0'), 3_000, 'recovery announced');
    const entry = (await logFields(client)).find(f => f.type === 'auto')!;
    assert.equal(entry.instance, g.gw.instanceId);
  });

  it('announces host ejections and un-ejections, and the instance starting and stopping, in the change log', async () => {
    const redis = await redisServer();
    const ups = await upstreams(2);
    const g = await gateway(
      {
        clusters: [{ name: 'api', hosts: hostsOf(ups), outlier_detection: { consecutive_5xx: 2, interval: '100ms', base_ejection_time: '300ms', max_ejection_percent: 50 } }],
        routes: [{ name: 'r', match: { prefix: '/' }, cluster: 'api' }],
      },
      { redisUrl: redis.url, heartbeatMs: 100 },
    );
    const client = redis.client();
    await ups[0]!.setMode('503');
    for (let i = 0; i < 6; i++) await g.get(`/${i}`);
    await ups[0]!.setMode('healthy');
    const hostEvents = async () => (await logFields(client)).filter(f => f.type === 'host').map(f => [f.cluster, f.host, f.ejected, f.reason, f.instance === g.gw.instanceId]);
    const host = `${hostsOf(ups)[0]}`;
    await eventually(async () => (await hostEvents()).length >= 2, 3_000, 'ejection and un-ejection announced');
    assert.deepEqual((await hostEvents()).slice(0, 2), [
      ['api', host, '1', 'consecutive_5xx', true],
      ['api', host, '0', '', true],
    ]);
    await g.close();
    const instance = (await logFields(client)).filter(f => f.type === 'instance').map(f => [f.instance === g.gw.instanceId, f.up]);
    assert.deepEqual(instance, [
      [true, '1'],
      [true, '0'],
    ]);
  });
});

/** The change log's entries as field maps, oldest first. */
async function logFields(client: { xrange(key: string, start: string, end: string): Promise<[string, string[]][]> }): Promise<Record<string, string>[]> {
  return (await client.xrange(SWITCH_LOG, '-', '+')).map(([, f]) => Object.fromEntries(f.reduce<[string, string][]>((acc, v, i) => (i % 2 ? acc : [...acc, [v, f[i + 1]!]]), [])));
}
