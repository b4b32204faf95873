import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../testing/index.ts';
import { Host } from '../host/host.ts';
import { HostSet } from '../host/host-set.ts';
import { HealthFlag } from '../host/health-flag.ts';
import { LB_DEFAULTS, LbPolicy, LoadBalancer, NO_HEALTHY_HOST, type LoadBalancerConfig } from './load-balancer.ts';

function cluster(n: number, cfg: Partial<LoadBalancerConfig> = {}, weights?: number[]) {
  const hosts = Array.from({ length: n }, (_, i) => new Host({ address: '10.0.0.1', port: 1000 + i, weight: weights?.[i] ?? 1 }));
  const set = new HostSet(hosts);
  const lb = new LoadBalancer(set, { ...LB_DEFAULTS, ...cfg }, new SeededRandom(11));
  return { hosts, set, lb };
}

function counts(lb: LoadBalancer, picks: number): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < picks; i++) {
    const h = lb.pick();
    assert.notEqual(h, NO_HEALTHY_HOST);
    const port = (h as Host).port;
    m.set(port, (m.get(port) ?? 0) + 1);
  }
  return m;
}

describe('LoadBalancer', () => {
  it('round robin visits every healthy host in turn', () => {
    const { lb } = cluster(3);
    const c = counts(lb, 300);
    assert.deepEqual([...c.values()], [100, 100, 100]);
  });

  it('weighted round robin gives weight/total of the picks, smoothly', () => {
    const { lb } = cluster(3, {}, [5, 1, 1]);
    const seq = Array.from({ length: 7 }, () => (lb.pick() as Host).port);
    assert.deepEqual(seq, [1000, 1000, 1001, 1000, 1002, 1000, 1000], 'nginx smooth WRR order');
  });

  it('skips ejected hosts while most of the cluster is healthy', () => {
    const { lb, hosts } = cluster(4);
    hosts[1]!.set(HealthFlag.FailedOutlierCheck);
    const c = counts(lb, 300);
    assert.equal(c.has(1001), false);
  });

  it('panic threshold boundary: 50% healthy is not panic, below 50% is', () => {
    const a = cluster(10);
    for (let i = 0; i < 5; i++) a.hosts[i]!.set(HealthFlag.FailedOutlierCheck);
    const c = counts(a.lb, 500);
    assert.equal([...c.keys()].every(p => p >= 1005), true);
    assert.equal(a.lb.stats.lb_healthy_panic, 0);

    a.hosts[5]!.set(HealthFlag.FailedOutlierCheck); // 40% healthy
    const p = counts(a.lb, 1000);
    assert.equal(p.size, 10, 'in panic every host, ejected ones included, takes traffic');
    assert.equal(a.lb.stats.lb_healthy_panic, 1000);
  });

  it('overprovisioning: with 72% healthy there is no panic even at threshold 80', () => {
    const { hosts, lb } = cluster(25, { healthy_panic_threshold: 80 });
    for (let i = 0; i < 7; i++) hosts[i]!.set(HealthFlag.FailedActiveHc); // 18/25 = 72% → 1.4×72 ≈ 100
    counts(lb, 100);
    assert.equal(lb.stats.lb_healthy_panic, 0);
  });

  it('threshold 0 disables panic and yields the typed no-healthy-host result', () => {
    const { hosts, lb } = cluster(3, { healthy_panic_threshold: 0 });
    for (const h of hosts) h.set(HealthFlag.FailedOutlierCheck);
    assert.equal(lb.pick(), NO_HEALTHY_HOST);
    assert.equal(lb.stats.upstream_cx_none_healthy, 1);
  });

  it('all hosts unhealthy with the default threshold panics to all hosts', () => {
    const { hosts, lb } = cluster(3);
    for (const h of hosts) h.set(HealthFlag.FailedActiveHc);
    assert.notEqual(lb.pick(), NO_HEALTHY_HOST);
  });

  it('excluded hosts leave the panic denominator', () => {
    const { hosts, lb } = cluster(4);
    hosts[0]!.set(HealthFlag.PendingActiveHc);
    hosts[0]!.set(HealthFlag.FailedActiveHc);
    hosts[1]!.set(HealthFlag.PendingActiveHc);
    hosts[1]!.set(HealthFlag.FailedActiveHc);
    // 2 of 2 non-excluded hosts healthy: no panic, although only half the hosts are healthy.
    counts(lb, 100);
    assert.equal(lb.stats.lb_healthy_panic, 0);
  });

  it('degraded hosts take only the spill-over', () => {
    const { hosts, lb } = cluster(10);
    for (let i = 0; i < 3; i++) hosts[i]!.set(HealthFlag.DegradedActiveHc); // 70% healthy → 98% of load
    const c = counts(lb, 10_000);
    const toDegraded = (c.get(1000) ?? 0) + (c.get(1001) ?? 0) + (c.get(1002) ?? 0);
    assert.ok(toDegraded > 100 && toDegraded < 350, `degraded got ${toDegraded}`);
  });

  it('avoids hosts the request already tried while others exist', () => {
    const rr = cluster(3);
    for (let i = 0; i < 50; i++) assert.equal(rr.lb.pick([rr.hosts[0]!, rr.hosts[1]!], 2), rr.hosts[2]);
    const { hosts, lb } = cluster(3, { lb_policy: LbPolicy.Random });
    let elsewhere = 0;
    for (let i = 0; i < 1_000; i++) if (lb.pick([hosts[0]!, hosts[1]!], 3) === hosts[2]) elsewhere++;
    // Each pick misses with (2/3)^4 ≈ 20%: bounded attempts, as Envoy's predicate.
    assert.ok(elsewhere > 750 && elsewhere < 850, `untried host chosen ${elsewhere} times`);
    const single = cluster(1);
    assert.equal(single.lb.pick([single.hosts[0]!], 3), single.hosts[0], 'falls back to the tried host');
  });

  it('least request prefers the less loaded of two samples', () => {
    const { hosts, lb } = cluster(2, { lb_policy: LbPolicy.LeastRequest });
    hosts[0]!.activeRequests = 10;
    const c = counts(lb, 1_000);
    // Only a sample of (h0, h0) picks h0: about a quarter of picks.
    assert.ok((c.get(1000) ?? 0) > 180 && (c.get(1000) ?? 0) < 320, `h0 got ${c.get(1000)}`);
  });

  it('weighted random follows the weights', () => {
    const { lb } = cluster(2, { lb_policy: LbPolicy.Random }, [3, 1]);
    const c = counts(lb, 8_000);
    const share = (c.get(1000) ?? 0) / 8_000;
    assert.ok(share > 0.72 && share < 0.78, `share ${share}`);
  });
});
