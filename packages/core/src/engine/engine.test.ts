import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, SeededRandom } from '../testing/index.ts';
import { parseConfig } from '../config/load-config.ts';
import type { GatewayConfigInput } from '../config/schema.ts';
import { HealthFlag } from '../host/health-flag.ts';
import { NO_HEALTHY_HOST } from '../load-balancer/load-balancer.ts';
import type { Host } from '../host/host.ts';
import { Engine } from './engine.ts';

const input = (ejection = '30s'): GatewayConfigInput => ({
  clusters: [
    {
      name: 'api',
      hosts: ['127.0.0.1:9001', '127.0.0.1:9002', '127.0.0.1:9003'],
      outlier_detection: { max_ejection_percent: 50, base_ejection_time: ejection },
    },
    { name: 'backup', hosts: ['127.0.0.1:9101'], healthy_panic_threshold: 0 },
  ],
  routes: [
    {
      name: 'items',
      match: { prefix: '/items' },
      cluster: 'api',
      circuit_breaker: { consecutive_failures: 2 },
      degradation: { mode: 'fallback_service', fallback_cluster: 'backup' },
    },
  ],
});

function setup() {
  const clock = new ManualClock();
  const engine = new Engine(parseConfig(input()), { clock, random: new SeededRandom(1) });
  engine.start();
  return { clock, engine };
}

describe('Engine', () => {
  it('wires routes to clusters and fallback clusters', () => {
    const { engine } = setup();
    const r = engine.route('items')!;
    assert.equal(r.cluster.name, 'api');
    assert.equal(r.fallbackCluster!.name, 'backup');
    assert.ok(r.breaker);
  });

  it('ejects a host fed five 5xx and routes around it', () => {
    const { engine } = setup();
    const api = engine.clusters.get('api')!;
    const bad = api.hostSet.hosts[0]!;
    for (let i = 0; i < 5; i++) api.recordResponse(bad, 503);
    assert.equal(bad.has(HealthFlag.FailedOutlierCheck), true);
    for (let i = 0; i < 30; i++) assert.notEqual(api.pick(), bad);
    const status = api.hostStatuses()[0]!;
    assert.equal(status.ejected, true);
    assert.equal(status.ejected_for, 'consecutive_5xx');
    assert.equal(status.health_flags, '/failed_outlier_check');
    assert.equal(status.ejection_time_left_ms, 30_000);
  });

  it('a reload with the same hosts keeps ejections and breaker state, and applies new settings', () => {
    const { engine, clock } = setup();
    const api = engine.clusters.get('api')!;
    const bad = api.hostSet.hosts[0]!;
    for (let i = 0; i < 5; i++) api.recordResponse(bad, 503);
    const breaker = engine.route('items')!.breaker!;
    breaker.tryAcquire();
    breaker.onFailure();
    breaker.tryAcquire();
    breaker.onFailure();
    assert.equal(breaker.current, 'open');
    const report = engine.reload(parseConfig(input('60s')));
    assert.deepEqual(report.kept.sort(), ['api', 'backup']);
    assert.equal(engine.clusters.get('api'), api);
    assert.equal(bad.has(HealthFlag.FailedOutlierCheck), true);
    assert.equal(engine.route('items')!.breaker!.current, 'open');
    clock.advance(30_000);
    assert.equal(bad.has(HealthFlag.FailedOutlierCheck), true, 'new base_ejection_time (60s) applies to the running ejection');
    clock.advance(30_000);
    assert.equal(bad.has(HealthFlag.FailedOutlierCheck), false);
  });

  it('a reload that changes the host list rebuilds that cluster and stops the old one', () => {
    const { engine, clock } = setup();
    const next = input();
    next.clusters[0]!.hosts = ['127.0.0.1:9001', '127.0.0.1:9004'];
    const report = engine.reload(parseConfig(next));
    assert.deepEqual(report.rebuilt, ['api']);
    assert.equal(engine.clusters.get('api')!.hostSet.hosts.length, 2);
    assert.equal(clock.pendingTimers(), 1, 'only the new cluster’s outlier sweep is armed');
  });

  it('a cluster with panic disabled reports no healthy host when all are out', () => {
    const { engine } = setup();
    const backup = engine.clusters.get('backup')!;
    (backup.hostSet.hosts[0] as Host).set(HealthFlag.FailedActiveHc);
    assert.equal(backup.pick(), NO_HEALTHY_HOST);
  });
});
