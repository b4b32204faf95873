import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, ScriptedRandom, SeededRandom } from '../testing/index.ts';
import { Host } from '../host/host.ts';
import { HostSet } from '../host/host-set.ts';
import { HealthFlag } from '../host/health-flag.ts';
import { OutlierDetector, type OutlierEvent } from './outlier-detector.ts';
import { resolveOutlierConfig, type OutlierDetectionConfig } from './outlier-config.ts';
import { EjectionType, LocalOriginResult } from './ejection-type.ts';
import { successRateThreshold } from './success-rate.ts';
import type { Random } from '../random.ts';

function setup(n: number, cfg: Partial<OutlierDetectionConfig> = {}, random: Random = new SeededRandom(7)) {
  const clock = new ManualClock(0);
  const hosts = Array.from({ length: n }, (_, i) => new Host({ address: '127.0.0.1', port: 8000 + i }));
  const set = new HostSet(hosts);
  const det = new OutlierDetector(set, resolveOutlierConfig(cfg), clock, random);
  const events: OutlierEvent[] = [];
  det.onEvent(e => events.push(e));
  det.start();
  return { clock, hosts, set, det, events };
}

function fail(det: OutlierDetector, host: Host, times: number, code = 500): void {
  for (let i = 0; i < times; i++) det.putHttpResponseCode(host, code);
}

describe('OutlierDetector: consecutive 5xx', () => {
  it('ejects on exactly the 5th consecutive 5xx, and a success in between resets the count', () => {
    const { det, hosts } = setup(10);
    const h = hosts[0]!;
    fail(det, h, 4);
    det.putHttpResponseCode(h, 200);
    fail(det, h, 4);
    assert.equal(h.has(HealthFlag.FailedOutlierCheck), false);
    det.putHttpResponseCode(h, 500);
    assert.equal(h.has(HealthFlag.FailedOutlierCheck), true);
    assert.equal(det.stats.ejections_active, 1);
    assert.equal(det.stats.ejections_enforced.consecutive_5xx, 1);
    assert.equal(det.stats.ejections_detected.consecutive_5xx, 1);
  });

  it('treats 4xx, including 429, as success', () => {
    const { det, hosts } = setup(10);
    for (let i = 0; i < 20; i++) det.putHttpResponseCode(hosts[0]!, i % 2 ? 429 : 404);
    assert.equal(det.stats.ejections_detected.consecutive_5xx, 0);
  });

  it('un-ejects only on a sweep tick: base 30s with interval 10s keeps the host out until t=40s', () => {
    const { det, hosts, clock, set } = setup(10);
    const h = hosts[0]!;
    clock.advance(5_000); // ejected at t=5s, between ticks
    fail(det, h, 5);
    assert.equal(set.healthy.includes(h), false);
    clock.advanceTo(30_000); // tick at 30s: only 25s elapsed
    assert.equal(h.has(HealthFlag.FailedOutlierCheck), true);
    assert.equal(det.hostState(h).ejectionTimeLeftMs, 5_000);
    clock.advanceTo(39_999);
    assert.equal(h.has(HealthFlag.FailedOutlierCheck), true);
    clock.advanceTo(40_000); // tick at 40s: 35s elapsed ≥ 30s
    assert.equal(h.has(HealthFlag.FailedOutlierCheck), false);
    assert.equal(set.healthy.includes(h), true);
    assert.equal(det.stats.ejections_active, 0);
  });

  it('un-ejects at the tick where elapsed equals the ejection time exactly', () => {
    const { det, hosts, clock } = setup(10);
    fail(det, hosts[0]!, 5); // ejected at t=0
    clock.advanceTo(30_000);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), false);
  });

  it('grows the ejection time with back-off and caps it at max_ejection_time', () => {
    const { det, hosts, clock } = setup(10, { base_ejection_time: 10_000, max_ejection_time: 30_000, interval: 1_000 });
    const h = hosts[0]!;
    const durations: number[] = [];
    for (let k = 0; k < 5; k++) {
      fail(det, h, 5);
      const start = clock.now();
      while (h.has(HealthFlag.FailedOutlierCheck)) clock.advance(1_000);
      durations.push(clock.now() - start);
      // Re-eject at once, before any decay tick (decay needs a full interval after un-ejection).
    }
    assert.deepEqual(durations, [10_000, 20_000, 30_000, 30_000, 30_000]);
    // base × backoff < max + base ⇒ stops growing at 4 (4×10 = 40 is not < 40).
    assert.equal(det.hostState(h).ejectTimeBackoff, 4);
  });

  it('decays the back-off one step per interval while the host stays in', () => {
    const { det, hosts, clock } = setup(10, { base_ejection_time: 10_000, interval: 1_000 });
    const h = hosts[0]!;
    fail(det, h, 5);
    clock.advance(10_000);
    fail(det, h, 5);
    clock.advance(20_000);
    assert.equal(h.has(HealthFlag.FailedOutlierCheck), false);
    assert.equal(det.hostState(h).ejectTimeBackoff, 2);
    clock.advance(1_000); // one interval after un-ejection
    assert.equal(det.hostState(h).ejectTimeBackoff, 1);
    clock.advance(1_000);
    assert.equal(det.hostState(h).ejectTimeBackoff, 0);
    clock.advance(5_000);
    assert.equal(det.hostState(h).ejectTimeBackoff, 0);
    fail(det, h, 5);
    const start = clock.now();
    while (h.has(HealthFlag.FailedOutlierCheck)) clock.advance(1_000);
    assert.equal(clock.now() - start, 10_000, 'after full decay the next ejection lasts base again');
  });

  it('adds jitter drawn from [0, max_ejection_time_jitter]', () => {
    const random = new ScriptedRandom([0.5]);
    const { det, hosts } = setup(10, { max_ejection_time_jitter: 1_000 }, random);
    fail(det, hosts[0]!, 5);
    // floor(0.5 × 1001) = 500
    assert.equal(det.hostState(hosts[0]!).ejectionTimeLeftMs, 30_500);
  });

  it('does not re-fire while ejected: the counter runs past the threshold without a reset', () => {
    const { det, hosts, events } = setup(10);
    fail(det, hosts[0]!, 12);
    assert.equal(events.filter(e => e.action === 'eject').length, 1);
    assert.equal(det.stats.ejections_detected.consecutive_5xx, 1);
  });
});

describe('OutlierDetector: max_ejection_percent', () => {
  it('ejects nothing in a 3-host cluster with the default 10%', () => {
    const { det, hosts, events } = setup(3);
    fail(det, hosts[0]!, 5);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), false);
    assert.equal(det.stats.ejections_overflow, 1);
    assert.equal(events[0]!.overflow, true);
  });

  it('needs at least 10 hosts at 10%', () => {
    const nine = setup(9);
    fail(nine.det, nine.hosts[0]!, 5);
    assert.equal(nine.det.stats.ejections_active, 0);
    const ten = setup(10);
    fail(ten.det, ten.hosts[0]!, 5);
    assert.equal(ten.det.stats.ejections_active, 1);
    fail(ten.det, ten.hosts[1]!, 5);
    assert.equal(ten.det.stats.ejections_active, 1, 'a second ejection would be 20%');
  });

  it('always_eject_one_host allows one ejection whatever the percentage, and only one', () => {
    const { det, hosts } = setup(3, { always_eject_one_host: true });
    fail(det, hosts[0]!, 5);
    fail(det, hosts[1]!, 5);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), true);
    assert.equal(hosts[1]!.has(HealthFlag.FailedOutlierCheck), false);
    assert.equal(det.stats.ejections_overflow, 1);
  });

  it('50% of a 2-host cluster allows exactly one ejection', () => {
    const { det, hosts } = setup(2, { max_ejection_percent: 50 });
    fail(det, hosts[0]!, 5);
    fail(det, hosts[1]!, 5);
    assert.equal(det.stats.ejections_active, 1);
  });
});

describe('OutlierDetector: gateway failures and enforcement', () => {
  it('detects consecutive gateway failures but does not enforce them by default', () => {
    const { det, hosts, events } = setup(10, { consecutive_5xx: 100 });
    fail(det, hosts[0]!, 5, 503);
    assert.equal(det.stats.ejections_detected.consecutive_gateway_failure, 1);
    assert.equal(det.stats.ejections_enforced.consecutive_gateway_failure, 0);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), false);
    assert.equal(events[0]!.enforced, false);
    fail(det, hosts[0]!, 5, 503);
    assert.equal(det.stats.ejections_detected.consecutive_gateway_failure, 2, 'counter was reset after detection');
  });

  it('enforces gateway failures when enforcing_consecutive_gateway_failure is 100', () => {
    const { det, hosts } = setup(10, { consecutive_5xx: 100, enforcing_consecutive_gateway_failure: 100 });
    fail(det, hosts[0]!, 4, 502);
    det.putHttpResponseCode(hosts[0]!, 500); // a non-gateway 5xx resets the gateway counter
    fail(det, hosts[0]!, 4, 504);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), false);
    det.putHttpResponseCode(hosts[0]!, 503);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), true);
  });

  it('rolls enforcing percentages with the injected random', () => {
    const random = new ScriptedRandom([0.6, 0.4]);
    const { det, hosts } = setup(10, { enforcing_consecutive_5xx: 50 }, random);
    fail(det, hosts[0]!, 5); // 60 < 50? no → shadow
    assert.equal(det.stats.ejections_active, 0);
    assert.equal(det.stats.ejections_detected.consecutive_5xx, 1);
    fail(det, hosts[0]!, 5); // 40 < 50 → enforced
    assert.equal(det.stats.ejections_active, 1);
  });
});

describe('OutlierDetector: local-origin errors', () => {
  it('maps connect failures and timeouts to 503/504 when not split', () => {
    const { det, hosts } = setup(10);
    for (let i = 0; i < 3; i++) det.putResult(hosts[0]!, LocalOriginResult.ConnectFailed);
    det.putResult(hosts[0]!, LocalOriginResult.ConnectSuccess); // ignored when not split
    for (let i = 0; i < 2; i++) det.putResult(hosts[0]!, LocalOriginResult.Timeout);
    assert.equal(det.stats.ejections_enforced.consecutive_5xx, 1);
    // The 5th gateway error fires both detections; gateway first (detect-only by default).
    assert.equal(det.stats.ejections_detected.consecutive_gateway_failure, 1);
    assert.equal(det.stats.ejections_enforced.consecutive_gateway_failure, 0);
  });

  it('keeps local-origin failures separate when split, and a connect success resets them', () => {
    const { det, hosts } = setup(10, { split_external_local_origin_errors: true });
    const h = hosts[0]!;
    for (let i = 0; i < 4; i++) det.putResult(h, LocalOriginResult.ConnectFailed);
    det.putResult(h, LocalOriginResult.ConnectSuccess);
    for (let i = 0; i < 4; i++) det.putResult(h, LocalOriginResult.Timeout);
    assert.equal(det.stats.ejections_detected.consecutive_local_origin_failure, 0);
    det.putResult(h, LocalOriginResult.ConnectFailed);
    assert.equal(det.stats.ejections_enforced.consecutive_local_origin_failure, 1);
    assert.equal(det.stats.ejections_detected.consecutive_5xx, 0, 'local errors never feed the 5xx counter in split mode');
  });
});

describe('OutlierDetector: success rate and failure percentage', () => {
  it('computes Envoy’s worked example threshold (52)', () => {
    const { average, threshold } = successRateThreshold([50, 100, 100, 100, 100], 1900);
    assert.equal(average, 90);
    assert.ok(Math.abs(threshold - 52) < 1e-9);
  });

  it('ejects the host below mean − 1.9σ at the next sweep, counting the finished interval only', () => {
    const { det, hosts, clock } = setup(5, { max_ejection_percent: 100 });
    for (const [i, h] of hosts.entries()) {
      for (let r = 0; r < 100; r++) det.putHttpResponseCode(h, i === 0 && r % 2 === 0 ? 500 : 200);
    }
    assert.equal(det.stats.ejections_active, 0);
    clock.advanceTo(10_000); // buckets swap; host 0 at 50% < 52
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), true);
    assert.equal(det.stats.ejections_enforced.success_rate, 1);
    assert.equal(det.successRateAverage, 90);
    assert.ok(Math.abs(det.successRateEjectionThreshold - 52) < 1e-9);
    assert.equal(det.hostState(hosts[1]!).successRate, 100);
  });

  it('skips success-rate detection below the request volume or host count', () => {
    const { det, hosts, clock } = setup(5, { max_ejection_percent: 100 });
    for (const [i, h] of hosts.entries()) {
      for (let r = 0; r < 99; r++) det.putHttpResponseCode(h, i === 0 && r % 2 === 0 ? 500 : 200);
    }
    clock.advanceTo(10_000);
    assert.equal(det.stats.ejections_detected.success_rate, 0);
    assert.equal(det.successRateAverage, -1);
  });

  it('detects failure percentage ≥ 85%, enforced by default (Envoy: detect-only), shadow when enforcing is 0', () => {
    const shadow = setup(5, { max_ejection_percent: 100, consecutive_5xx: 1000, enforcing_failure_percentage: 0 });
    const enforced = setup(5, { max_ejection_percent: 100, consecutive_5xx: 1000 });
    for (const s of [shadow, enforced]) {
      for (const [i, h] of s.hosts.entries()) {
        for (let r = 0; r < 50; r++) s.det.putHttpResponseCode(h, i === 0 && r < 43 ? 500 : 200); // 86% failures
      }
      s.clock.advanceTo(10_000);
    }
    // 50 requests per host is below success_rate_request_volume (100): only failure-percentage runs.
    assert.equal(shadow.det.stats.ejections_detected.success_rate, 0);
    assert.equal(shadow.det.stats.ejections_detected.failure_percentage, 1);
    assert.equal(shadow.det.stats.ejections_enforced.failure_percentage, 0);
    assert.equal(shadow.hosts[0]!.has(HealthFlag.FailedOutlierCheck), false);
    assert.equal(enforced.det.stats.ejections_detected.failure_percentage, 1);
    assert.equal(enforced.det.stats.ejections_enforced.failure_percentage, 1);
    assert.equal(enforced.hosts[0]!.has(HealthFlag.FailedOutlierCheck), true);
  });
});

describe('OutlierDetector: active health check interplay', () => {
  it('a passing active check un-ejects immediately (Envoy\'s behaviour, opted into), but not when the host also failed active HC', () => {
    const { det, hosts } = setup(10, { successful_active_health_check_uneject_5xx_host: true });
    fail(det, hosts[0]!, 5);
    fail(det, hosts[1]!, 5);
    assert.equal(det.stats.ejections_active, 1, 'second ejection capped');
    det.onActiveHealthCheck(hosts[0]!, true);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), false);
    fail(det, hosts[1]!, 5);
    hosts[1]!.set(HealthFlag.FailedActiveHc);
    det.onActiveHealthCheck(hosts[1]!, true);
    assert.equal(hosts[1]!.has(HealthFlag.FailedOutlierCheck), true);
    det.onActiveHealthCheck(hosts[1]!, false);
    assert.equal(hosts[1]!.has(HealthFlag.FailedOutlierCheck), true);
  });

  it('a host ejected for 5xx answers serves its ejection time though health checks pass, and the time grows on re-ejection', () => {
    const { det, hosts, clock } = setup(3, { max_ejection_percent: 34, interval: 1_000, base_ejection_time: 10_000 });
    const flaky = hosts[0]!;
    fail(det, flaky, 5);
    assert.equal(flaky.has(HealthFlag.FailedOutlierCheck), true);
    for (let t = 1; t <= 9; t++) {
      clock.advanceTo(t * 1_000);
      det.onActiveHealthCheck(flaky, true); // its health-check path answers fine
    }
    assert.equal(flaky.has(HealthFlag.FailedOutlierCheck), true, 'a passing check does not un-eject it');
    clock.advanceTo(10_000);
    assert.equal(flaky.has(HealthFlag.FailedOutlierCheck), false, 'out after base_ejection_time');
    fail(det, flaky, 5);
    clock.advanceTo(25_000);
    det.onActiveHealthCheck(flaky, true);
    assert.equal(flaky.has(HealthFlag.FailedOutlierCheck), true, 'second ejection lasts 2 × base');
    clock.advanceTo(30_000);
    assert.equal(flaky.has(HealthFlag.FailedOutlierCheck), false);
  });

  it('a host ejected for 5xx that the health check also saw fail is back as soon as the check passes again', () => {
    const { det, hosts, clock } = setup(3, { max_ejection_percent: 34, interval: 1_000, base_ejection_time: 30_000 });
    const down = hosts[0]!;
    fail(det, down, 5, 503);
    down.set(HealthFlag.FailedActiveHc);
    det.onActiveHealthCheck(down, false);
    clock.advanceTo(3_000);
    down.clear(HealthFlag.FailedActiveHc); // healthy_threshold passes seen by the checker
    det.onActiveHealthCheck(down, true);
    assert.equal(down.has(HealthFlag.FailedOutlierCheck), false);
  });

  it('a host ejected for connect failures is un-ejected by a passing check (it failed to answer, not answered badly)', () => {
    const { det, hosts } = setup(3, { max_ejection_percent: 34 });
    const refused = hosts[0]!;
    for (let i = 0; i < 5; i++) det.putResult(refused, LocalOriginResult.ConnectFailed);
    assert.equal(refused.has(HealthFlag.FailedOutlierCheck), true);
    det.onActiveHealthCheck(refused, true);
    assert.equal(refused.has(HealthFlag.FailedOutlierCheck), false);
  });

  it('failure percentage protects a 3-host cluster at the defaults', () => {
    const { det, hosts, clock } = setup(3, { max_ejection_percent: 34, consecutive_5xx: 1000, failure_percentage_threshold: 25 });
    for (const [i, h] of hosts.entries()) {
      for (let r = 0; r < 60; r++) det.putHttpResponseCode(h, i === 0 && r % 10 < 3 ? 503 : 200); // 30% failures
    }
    clock.advanceTo(10_000);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), true);
    assert.equal(det.stats.ejections_enforced.failure_percentage, 1);
  });

  it("a peer's ejection holds the host out for the peer's time, is lifted by the peer, and is not re-announced", () => {
    const { det, hosts, clock, events } = setup(3, { max_ejection_percent: 34, interval: 1_000 });
    assert.equal(det.ejectFromPeer(hosts[0]!, EjectionType.Consecutive5xx, 4_000, true), true);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), true);
    assert.equal(events.at(-1)!.peer, true, 'marked as a peer event, so a worker does not relay it back');
    assert.equal(det.ejectFromPeer(hosts[1]!, EjectionType.Consecutive5xx, 4_000, true), false, 'the cap holds for peer ejections too');
    det.onActiveHealthCheck(hosts[0]!, true);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), true, 'ejected for its answers: a passing check does not lift it');
    assert.equal(det.unejectFromPeer(hosts[0]!), true);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), false);
    det.ejectFromPeer(hosts[0]!, EjectionType.Consecutive5xx, 4_000, true);
    clock.advanceTo(3_000);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), true);
    clock.advanceTo(5_000);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), false, "out when the peer's ejection time is over, at this worker's sweep");
    assert.equal(det.stats.ejections_enforced_total, 0, 'only detections count as enforced ejections (the sum over workers stays right)');
  });

  it('a local ejection is not lifted by a peer (only the ejecting worker lifts what it ejected)', () => {
    const { det, hosts } = setup(3, { max_ejection_percent: 34 });
    fail(det, hosts[0]!, 5);
    assert.equal(det.unejectFromPeer(hosts[0]!), false);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), true);
  });

  it('keeps ejection state across a config update', () => {
    const { det, hosts, clock } = setup(10);
    fail(det, hosts[0]!, 5);
    det.updateConfig(resolveOutlierConfig({ base_ejection_time: 60_000 }));
    clock.advanceTo(50_000);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), true);
    clock.advanceTo(60_000);
    assert.equal(hosts[0]!.has(HealthFlag.FailedOutlierCheck), false);
  });

  it('flapping host: alternating bursts never eject when successes interleave', () => {
    const { det, hosts, clock } = setup(10);
    for (let k = 0; k < 100; k++) {
      fail(det, hosts[0]!, 4);
      det.putHttpResponseCode(hosts[0]!, 200);
      clock.advance(100);
    }
    assert.equal(det.stats.ejections_detected.consecutive_5xx, 0);
  });

  it('rejects max_ejection_time below base_ejection_time', () => {
    assert.throws(
      () => resolveOutlierConfig({ base_ejection_time: 10_000, max_ejection_time: 5_000 }),
      /max_ejection_time cannot be smaller than base_ejection_time/,
    );
    assert.equal(resolveOutlierConfig({ base_ejection_time: 400_000 }).max_ejection_time, 400_000);
  });

  it('stop() leaves no timer behind', () => {
    const { det, clock } = setup(3);
    det.stop();
    assert.equal(clock.pendingTimers(), 0);
  });
});

describe('OutlierDetector: failure percentage judged against the cluster (Brownout default)', () => {
  // What operators write: only the common fields.
  const COMMON = { consecutive_5xx: 5, interval: 1_000, base_ejection_time: 10_000, max_ejection_percent: 50 };
  /** One interval of traffic: `perHost` requests to each host, host i failing with `failRatio[i]` (spread evenly). */
  function interval(s: ReturnType<typeof setup>, perHost: number, failRatio: readonly number[], code = 503): void {
    for (let r = 0; r < perHost; r++) {
      for (const [i, h] of s.hosts.entries()) {
        if (h.has(HealthFlag.FailedOutlierCheck)) continue;
        const failing = Math.floor((r + 1) * (failRatio[i] ?? 0)) > Math.floor(r * (failRatio[i] ?? 0));
        s.det.putHttpResponseCode(h, failing ? code : 200);
      }
    }
    s.clock.advance(1_000);
  }

  it('ejects a 30%-flaky host among healthy ones at the first sweep, without five 503s in a row', () => {
    const s = setup(3, COMMON);
    interval(s, 100, [0.3, 0, 0]);
    assert.equal(s.hosts[0]!.has(HealthFlag.FailedOutlierCheck), true);
    assert.equal(s.det.stats.ejections_enforced.consecutive_5xx, 0, 'not by consecutive 5xx');
    assert.equal(s.det.stats.ejections_enforced.failure_percentage, 1);
    assert.equal(s.hosts[1]!.has(HealthFlag.FailedOutlierCheck) || s.hosts[2]!.has(HealthFlag.FailedOutlierCheck), false);
  });

  it('scales the request volume to the traffic: 25 requests per host per interval is enough, 10 is not', () => {
    const low = setup(3, COMMON);
    interval(low, 25, [0.4, 0, 0]);
    assert.equal(low.hosts[0]!.has(HealthFlag.FailedOutlierCheck), true);
    const tiny = setup(3, COMMON);
    interval(tiny, 10, [0.4, 0, 0]);
    assert.equal(tiny.hosts[0]!.has(HealthFlag.FailedOutlierCheck), false, 'a handful of requests decides nothing');
  });

  it('leaves alone a host only a little worse than the others (10% vs 0%), and a cluster failing alike', () => {
    const mild = setup(3, COMMON);
    for (let i = 0; i < 5; i++) interval(mild, 100, [0.1, 0, 0]);
    assert.equal(mild.det.stats.ejections_detected.failure_percentage, 0);
    const alike = setup(4, { ...COMMON, consecutive_5xx: 1000 });
    for (let i = 0; i < 5; i++) interval(alike, 100, [0.4, 0.45, 0.4, 0.35]);
    assert.equal(alike.det.stats.ejections_detected.failure_percentage, 0);
  });

  it('never counts 4xx answers (bad client requests) as failures', () => {
    const s = setup(3, COMMON);
    for (const code of [400, 404, 429, 499]) interval(s, 100, [0.6, 0, 0], code);
    assert.equal(s.hosts[0]!.has(HealthFlag.FailedOutlierCheck), false);
    assert.equal(s.det.stats.ejections_detected.failure_percentage, 0);
  });

  it('a cluster-wide outage never ejects more than max_ejection_percent', () => {
    const s = setup(4, COMMON);
    for (let i = 0; i < 30; i++) {
      interval(s, 100, [1, 1, 1, 1]);
      assert.ok(s.det.stats.ejections_active <= 2, `${s.det.stats.ejections_active} ejected at ${i} s`);
    }
  });

  it('turned off by failure_percentage_relative_threshold: 0 (the absolute 85% stays), or all of it by enforcing_failure_percentage: 0', () => {
    const off = setup(3, { ...COMMON, failure_percentage_relative_threshold: 0 });
    interval(off, 100, [0.3, 0, 0]);
    assert.equal(off.hosts[0]!.has(HealthFlag.FailedOutlierCheck), false);
    const shadow = setup(3, { ...COMMON, enforcing_failure_percentage: 0 });
    interval(shadow, 100, [0.3, 0, 0]);
    assert.equal(shadow.det.stats.ejections_detected.failure_percentage, 1);
    assert.equal(shadow.hosts[0]!.has(HealthFlag.FailedOutlierCheck), false, 'detect-only');
  });
});
